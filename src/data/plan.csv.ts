// The whole proactive plan as a spreadsheet-safe CSV, by due date (the same escaping as the at-risk list).
import { tableExists } from "../../loaders/db.ts";
import { PLAN_COLUMNS, planCsv } from "../../models/actions/plan-summary.ts";
import { toCsv } from "../../models/actions/csv.ts";
import { openWarehouse, output } from "./lib/warehouse.ts";

const db = await openWarehouse();
try {
  const has = db ? await tableExists(db.connection, "proactive_plan") : false;
  output(has && db ? await planCsv(db.connection) : toCsv([...PLAN_COLUMNS], []));
} finally {
  db?.close();
}
