// Cohort page data: retention cells per dimension value (compact rows) and the monthly metrics per dimension value.
import { query, tableExists } from "../../loaders/db.ts";
import { withWarehouse } from "./lib/warehouse.ts";

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "cohort_retention"))) {
    return { available: false, reason: "No cohorts: the exports have no subscriptions, and acquisition cohorts need subscription start dates." };
  }
  return {
    available: true,
    asOf: meta["as_of"],
    dataFrom: meta["data_from"],
    dataTo: meta["data_to"],
    cells: await query(db.connection, "SELECT dimension, value, cohort, months_since AS k, size, active, round(retention, 5) AS retention, round(revenue_retention, 5) AS revenue FROM cohort_retention ORDER BY dimension, value, cohort, k"),
  };
});
