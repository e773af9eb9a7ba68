// Plan page data: this month's proactive workload per team and channel, the months after, and this month's touches.
import { queryOne, tableExists } from "../../loaders/db.ts";
import { loadPlanRules } from "../../models/actions/plan-rules.ts";
import { planMonth, planMonthList, planWorkload } from "../../models/actions/plan-summary.ts";
import { withWarehouse } from "./lib/warehouse.ts";

export const PAGE_ROWS = 1000;

await withWarehouse(async (db, meta) => {
  if (!(await tableExists(db.connection, "proactive_plan"))) {
    return {
      available: false,
      reason: "No proactive plan: it is made with the at-risk list by `churn build` or `churn score`.",
    };
  }
  const asOf = String(meta["as_of"]);
  const month = planMonth(asOf);
  const counts = await queryOne(
    db.connection,
    `SELECT count(*) FILTER (WHERE status = 'active')::INTEGER AS active,
            count(next_touch)::INTEGER AS planned,
            count(*) FILTER (WHERE status = 'active' AND next_touch IS NULL)::INTEGER AS reactive
     FROM scored_customers`,
  );
  const thisMonth = await planMonthList(db.connection, month, PAGE_ROWS);
  return {
    available: true,
    asOf,
    month,
    riskSource: meta["risk_source"] ?? null,
    rules: loadPlanRules(),
    counts: { ...counts, thisMonth: thisMonth.count },
    workload: await planWorkload(db.connection),
    pageRows: PAGE_ROWS,
    rows: thisMonth.rows,
  };
});
