// Survival page data: Kaplan-Meier curves (thinned), medians and log-rank tests per grouping.
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "survival_curves"))) {
    return {
      available: false,
      reason:
        "No survival curves: the exports have no subscriptions, " +
        "and tenure to churn needs subscription start and end dates.",
    };
  }
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    curves: await query(
      db.connection,
      `SELECT grouping, grp, t_days, survival, lower, upper, at_risk, events
       FROM survival_curves ORDER BY grouping, grp, t_days`,
    ),
    summary: await query(db.connection, "SELECT * FROM survival_summary ORDER BY grouping, grp"),
    logrank: await query(db.connection, "SELECT * FROM survival_logrank ORDER BY grouping"),
    cox: (await tableExists(db.connection, "survival_cox"))
      ? await query(db.connection, "SELECT * FROM survival_cox")
      : [],
    coxFit: meta["survival_cox"] ?? null,
    // Curves by quadrant follow customers from a landmark date (see models/value/quadrant-survival.ts), not from their
    // start.
    quadrantLandmark: meta["survival_quadrant"] ?? null,
  };
});
