// Which mode ranked the at-risk list (the churn model or the rules) and why, for the at-risk page's banner.
import { withWarehouse } from "./lib/warehouse.ts";

await withWarehouse(async (_db, meta) => {
  const mode = meta["risk_source"] as { source?: string; reason?: string; asOf?: string } | undefined;
  if (!mode?.source) return { available: false, reason: "The at-risk list has not been made yet." };
  return { available: true, source: mode.source, reason: mode.reason ?? "", asOf: mode.asOf ?? meta["as_of"] };
});
