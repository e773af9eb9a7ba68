// The full scored list as a spreadsheet-safe CSV (the same columns and escaping as `churn score`).
import { tableExists } from "../../loaders/db.ts";
import { SCORED_COLUMNS, scoredListCsv } from "../../models/actions/analyze.ts";
import { toCsv } from "../../models/actions/csv.ts";
import { openWarehouse, output } from "./lib/warehouse.ts";

const db = await openWarehouse();
try {
  const has = db ? await tableExists(db.connection, "scored_customers") : false;
  output(has && db ? (await scoredListCsv(db.connection)).csv : toCsv([...SCORED_COLUMNS], []));
} finally {
  db?.close();
}
