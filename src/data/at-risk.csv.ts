// The full scored list as a spreadsheet-safe CSV (the same columns and escaping as `churn score`).
import { query, tableExists } from "../../loaders/db.ts";
import { SCORED_COLUMNS } from "../../models/actions/analyze.ts";
import { toCsv, type CsvValue } from "../../models/actions/csv.ts";
import { openWarehouse } from "./lib/warehouse.ts";

const db = await openWarehouse();
try {
  const has = db ? await tableExists(db.connection, "scored_customers") : false;
  const rows = has && db ? await query(db.connection, `SELECT ${SCORED_COLUMNS.join(", ")} FROM scored_customers ORDER BY value_at_risk DESC, clv DESC, customer_id`) : [];
  const round = (k: string, v: unknown) => (typeof v === "number" ? (k === "churn_probability" ? Math.round(v * 10000) / 10000 : Math.round(v * 100) / 100) : v);
  process.stdout.write(toCsv([...SCORED_COLUMNS], rows.map((r) => SCORED_COLUMNS.map((k) => round(k, r[k]) as CsvValue))));
} finally {
  db?.close();
}
