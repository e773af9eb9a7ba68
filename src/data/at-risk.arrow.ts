// The /at-risk page's list: every scored customer, every column of scored_customers, as an Arrow IPC file.
import { atRiskArrow } from "./lib/at-risk-arrow.ts";
import { openWarehouse, output, readMeta } from "./lib/warehouse.ts";

const db = await openWarehouse();
try {
  const meta = db ? await readMeta(db) : {};
  const metadata = Object.fromEntries(
    ["as_of", "data_from", "data_to"].filter((k) => meta[k] != null).map((k) => [k, String(meta[k])]),
  );
  output(await atRiskArrow(db?.connection ?? null, metadata));
} finally {
  db?.close();
}
