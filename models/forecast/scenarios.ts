/**
 * Which customers a scenario's `where` picks, from what the warehouse knows about them on the as-of date: kind
 * (subscriber or buyer, as the forecast splits them), quadrant and tier (customer_value), health band
 * (scored_customers, which needs the churn forest), segment, region and acquisition channel (customers). A scenario
 * that needs a table the warehouse lacks is left out with a note, so the forecast still runs when no model could be
 * trained.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { queryColumns, tableExists } from "../../loaders/db.ts";
import type { ScenarioInput } from "./model.ts";
import type { Scenario, Where } from "./rules.ts";

const NEEDS: Partial<Record<keyof Where, string>> = {
  quadrant: "customer_value",
  tier: "customer_value",
  healthBand: "scored_customers",
};

/** A `where`'s conditions on what the warehouse knows (all but kind), as parameters; absent ones are null. */
const conditions = (where: Where) => ({
  quadrant: where.quadrant ?? null,
  tier: where.tier ?? null,
  health_band: where.healthBand ?? null,
  segment: where.segment ?? null,
  region: where.region ?? null,
  acquisition_channel: where.acquisitionChannel ?? null,
});

/**
 * The customers whose attributes meet every condition given (an unknown attribute meets none), read as ids only:
 * at a million customers, reading every customer's attributes as objects cost 5 s of the forecast.
 */
async function matchingIds(conn: DuckDBConnection, where: Where, has: Set<string>): Promise<Set<string>> {
  const value = has.has("customer_value");
  const scored = has.has("scored_customers");
  const rows = await queryColumns(
    conn,
    `SELECT c.customer_id FROM customers c
     ${value ? "LEFT JOIN customer_value v USING (customer_id)" : ""}
     ${
       scored
         ? `LEFT JOIN (SELECT customer_id, health_band FROM scored_customers WHERE status = 'active') s
                 USING (customer_id)`
         : ""
     }
     WHERE (CAST($quadrant AS VARCHAR) IS NULL OR ${value ? "v.quadrant" : "NULL"} = $quadrant)
       AND (CAST($tier AS VARCHAR) IS NULL OR ${value ? "v.tier" : "NULL"} = $tier)
       AND (CAST($health_band AS VARCHAR) IS NULL OR ${scored ? "s.health_band" : "NULL"} = $health_band)
       AND (CAST($segment AS VARCHAR) IS NULL OR c.segment = $segment)
       AND (CAST($region AS VARCHAR) IS NULL OR c.region = $region)
       AND (CAST($acquisition_channel AS VARCHAR) IS NULL OR c.acquisition_channel = $acquisition_channel)`,
    conditions(where),
  );
  return new Set(rows["customer_id"] as string[]);
}

/** The scenarios the warehouse can evaluate, with per-customer factors; notes say which were left out and why. */
export async function scenarioInputs(
  conn: DuckDBConnection,
  scenarios: Scenario[],
  subscriberIds: string[],
  buyerIds: string[],
): Promise<{ scenarios: ScenarioInput[]; notes: string[] }> {
  const has = new Set<string>();
  for (const t of ["customer_value", "scored_customers"]) if (await tableExists(conn, t)) has.add(t);
  const notes: string[] = [];
  const usable = scenarios.filter((s) => {
    const missing = Object.keys(s.where)
      .map((k) => NEEDS[k as keyof Where])
      .find((t) => t && !has.has(t));
    if (missing) notes.push(`scenario "${s.name}" left out: it needs ${missing}, which this warehouse does not have`);
    return !missing;
  });
  const picked: ScenarioInput[] = [];
  for (const s of usable) {
    // Everyone of the scenario's kind when it names no attribute; else the customers SQL finds.
    const named = Object.values(conditions(s.where)).some((v) => v !== null);
    const ids = s.churnChange !== 0 && named ? await matchingIds(conn, s.where, has) : null;
    const factors = (list: string[], kind: "subscriber" | "buyer") => {
      if (s.churnChange === 0) return null;
      if (s.where.kind && s.where.kind !== kind) return new Float64Array(list.length).fill(1);
      return Float64Array.from(list, (id) => (!ids || ids.has(id) ? 1 + s.churnChange : 1));
    };
    picked.push({
      name: s.name,
      subscriberFactor: factors(subscriberIds, "subscriber"),
      buyerFactor: factors(buyerIds, "buyer"),
      arrivalsFactor: 1 + s.newCustomersChange,
    });
  }
  return { scenarios: picked, notes };
}
