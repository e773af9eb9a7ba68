/**
 * Which customers a scenario's `where` picks, from what the warehouse knows about them on the as-of date: kind
 * (subscriber or buyer, as the forecast splits them), quadrant and tier (customer_value), health band
 * (scored_customers, which needs the churn forest), segment, region and acquisition channel (customers). A scenario
 * that needs a table the warehouse lacks is left out with a note, so the forecast still runs when no model could be
 * trained.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { query, tableExists } from "../../loaders/db.ts";
import type { ScenarioInput } from "./model.ts";
import type { Scenario, Where } from "./rules.ts";

type Attributes = {
  customer_id: string;
  segment: string | null;
  region: string | null;
  acquisition_channel: string | null;
  quadrant: string | null;
  tier: string | null;
  health_band: string | null;
};

const NEEDS: Partial<Record<keyof Where, string>> = {
  quadrant: "customer_value",
  tier: "customer_value",
  healthBand: "scored_customers",
};

async function loadAttributes(conn: DuckDBConnection, has: Set<string>): Promise<Map<string, Attributes>> {
  const value = has.has("customer_value");
  const scored = has.has("scored_customers");
  const rows = await query<Attributes>(
    conn,
    `SELECT c.customer_id, c.segment, c.region, c.acquisition_channel,
            ${value ? "v.quadrant, v.tier" : "NULL AS quadrant, NULL AS tier"},
            ${scored ? "s.health_band" : "NULL AS health_band"}
     FROM customers c
     ${value ? "LEFT JOIN customer_value v USING (customer_id)" : ""}
     ${
       scored
         ? `LEFT JOIN (SELECT customer_id, health_band FROM scored_customers WHERE status = 'active') s
                 USING (customer_id)`
         : ""
     }`,
  );
  return new Map(rows.map((r) => [r.customer_id, r]));
}

function matches(where: Where, kind: "subscriber" | "buyer", a: Attributes | undefined): boolean {
  if (where.kind && where.kind !== kind) return false;
  const pairs: [string | undefined, string | null | undefined][] = [
    [where.quadrant, a?.quadrant],
    [where.tier, a?.tier],
    [where.healthBand, a?.health_band],
    [where.segment, a?.segment],
    [where.region, a?.region],
    [where.acquisitionChannel, a?.acquisition_channel],
  ];
  return pairs.every(([want, got]) => want === undefined || want === got);
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
  const needsAttributes = usable.some((s) => s.churnChange !== 0);
  const attributes = needsAttributes ? await loadAttributes(conn, has) : new Map<string, Attributes>();
  const factors = (s: Scenario, ids: string[], kind: "subscriber" | "buyer") => {
    if (s.churnChange === 0) return null;
    return Float64Array.from(ids, (id) => (matches(s.where, kind, attributes.get(id)) ? 1 + s.churnChange : 1));
  };
  return {
    scenarios: usable.map((s) => ({
      name: s.name,
      subscriberFactor: factors(s, subscriberIds, "subscriber"),
      buyerFactor: factors(s, buyerIds, "buyer"),
      arrivalsFactor: 1 + s.newCustomersChange,
    })),
    notes,
  };
}
