/** `churn readout`: churn difference between a campaign's treatment and control groups, with its return. */
import { existsSync } from "node:fs";
import { z } from "zod";
import { appendRows } from "../../loaders/append.ts";
import { queryOne, run as runSql, tableExists, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import { readFlatFile, rejectedNote, requireColumn } from "../../loaders/flat-file.ts";
import {
  type Assignment,
  assignmentOutcomes,
  CREATE_CAMPAIGN_READOUT,
  twoProportionReadout,
} from "../../models/actions/readout.ts";
import { buyerWindow } from "../../models/cohorts/active.ts";
import { flag, parseFlags, printResult } from "../args.ts";
import { lockOutputs } from "../build/outputs.ts";

export const help = `Usage: churn readout --db FILE --assignments FILE.csv [--horizon DAYS] [--cost COST_PER_TREATED]
                     [--json]

Assignments: one row per customer with columns customer_id, campaign, group (treatment or control), date (YYYY-MM-DD).
For each campaign: churn within the horizon (default 90 days) after each customer's date, in each group, by the churn
model's label (subscribers by their subscriptions, one-off buyers by the inactivity window W; only customers active on
their date count); the
difference (control − treatment) with 95% Wald and Newcombe intervals; the two-proportion z-test (pooled, two-sided;
z² = R's prop.test(correct = FALSE) chi-square); value saved = difference × treated × mean CLV of the treated, and
the return = value saved − cost × treated, and ROI = return ÷ cost. Assignments whose horizon ends after the as-of date
are left out and counted. The readout is stored in the warehouse (table campaign_readout) for the monthly report.`;

const Flags = z.object({
  db: flag.string().default("data/warehouse.duckdb"),
  assignments: flag.string(),
  horizon: flag
    .integer()
    .pipe(z.number().min(1, { error: "must be at least 1 day" }))
    .default(90),
  cost: flag.number().default(0),
  json: flag.boolean(),
});

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("readout", argv, Flags);
  const file = await readFlatFile(flags.assignments);
  for (const note of file.notes ?? []) process.stderr.write(`note: ${note}\n`); // e.g. read as latin-1
  const setAside = rejectedNote(flags.assignments, file.rejected); // rows the reader could not split
  if (setAside) process.stderr.write(`${setAside}\n`);
  const ids = requireColumn(file, "customer_id"),
    campaigns = requireColumn(file, "campaign"),
    groups = requireColumn(file, "group"),
    dates = requireColumn(file, "date");
  const rows: Assignment[] = [];
  for (let i = 0; i < file.rowCount; i++) {
    const g = String(groups[i] ?? "")
      .trim()
      .toLowerCase();
    if (g !== "treatment" && g !== "control")
      throw new UserError(
        `${file.file}, line ${file.lines[i]}, column group: "${groups[i]}" is neither treatment nor control.`,
      );
    const d = String(dates[i] ?? "").trim();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d)))
      throw new UserError(`${file.file}, line ${file.lines[i]}, column date: "${d}" is not a date YYYY-MM-DD.`);
    rows.push({
      customer_id: String(ids[i]).trim(),
      campaign: String(campaigns[i] ?? "").trim() || "(unnamed)",
      grp: g,
      date: d,
    });
  }
  if (!existsSync(flags.db))
    throw new UserError(`No warehouse at ${flags.db}.`, { hint: "Run churn build first, or pass --db FILE." });
  // The readout writes its campaign tables into the warehouse: one writer at a time.
  const lock = lockOutputs([flags.db], "readout");
  const output = await withWarehouse(flags.db, { readOnly: false }, async (db) => {
    const conn = db.connection;
    const asOf = (await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))
      ?.value;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`);
    if (!(await tableExists(conn, "customer_value")))
      throw new UserError(`${flags.db} has no customer values yet.`, {
        hint: "Run `churn build` (or `churn score`) first.",
      });
    const window = await buyerWindow(conn, asOf);
    const all = await assignmentOutcomes(conn, rows, { horizonDays: flags.horizon, asOf, windowDays: window.days });
    const inactive = all.filter((o) => !o.activeAtStart).length;
    if (inactive)
      process.stderr.write(
        `note: ${inactive} assigned customers were not active on their assignment date and are left out\n`,
      );
    const outcomes = all.filter((o) => o.activeAtStart);
    const campaignsOut = [...new Set(outcomes.map((o) => o.campaign))].sort().map((campaign) => {
      const mine = outcomes.filter((o) => o.campaign === campaign && o.complete);
      const count = (g: string) => ({
        n: mine.filter((o) => o.grp === g).length,
        churned: mine.filter((o) => o.grp === g && o.churned).length,
      });
      const control = count("control"),
        treatment = count("treatment");
      const incomplete = outcomes.filter((o) => o.campaign === campaign && !o.complete).length;
      if (control.n === 0 || treatment.n === 0)
        return { campaign, incomplete, error: "needs customers in both groups with a complete horizon" };
      const r = twoProportionReadout(control, treatment);
      const treated = mine.filter((o) => o.grp === "treatment");
      const meanClv = treated.reduce((s, o) => s + o.clv, 0) / treated.length;
      const valueSaved = r.effect * treatment.n * meanClv;
      return {
        campaign,
        incomplete,
        ...r,
        meanClvTreated: meanClv,
        valueSaved,
        cost: flags.cost * treatment.n,
        return: valueSaved - flags.cost * treatment.n,
        roi: flags.cost > 0 ? (valueSaved - flags.cost * treatment.n) / (flags.cost * treatment.n) : null,
      };
    });
    // The table is replaced and filled in one transaction: an interrupted run leaves the previous readout whole.
    await runSql(conn, "BEGIN TRANSACTION");
    await runSql(conn, CREATE_CAMPAIGN_READOUT);
    await appendRows(
      conn,
      "campaign_readout",
      [
        ...(["varchar", "varchar", "integer", "integer", "integer", "integer", "integer"] as const),
        ...(["double", "double", "double", "double", "double", "double", "double", "double", "double"] as const),
      ],
      campaignsOut.flatMap((c) =>
        "error" in c
          ? []
          : [
              [
                c.campaign,
                asOf,
                flags.horizon,
                c.control.n,
                c.control.churned,
                c.treatment.n,
                c.treatment.churned,
                c.effect,
                c.newcombe[0],
                c.newcombe[1],
                c.p,
                c.meanClvTreated,
                c.valueSaved,
                c.cost,
                c.return,
                c.roi,
              ],
            ],
      ),
    );
    await runSql(conn, "COMMIT");
    return { asOf, horizonDays: flags.horizon, buyerWindowDays: window.days, campaigns: campaignsOut };
  }).finally(() => lock.release());
  printResult(flags.json, output, () =>
    output.campaigns
      .map((c) =>
        "error" in c
          ? `${c.campaign}: ${c.error}`
          : `${c.campaign}: churn ${(100 * c.control.rate).toFixed(1)}% control (n ${c.control.n}) vs ` +
            `${(100 * c.treatment.rate).toFixed(1)}% treated (n ${c.treatment.n}); difference ` +
            `${(100 * c.effect).toFixed(1)} pts [${(100 * c.newcombe[0]).toFixed(1)}, ` +
            `${(100 * c.newcombe[1]).toFixed(1)}], p = ${c.p.toPrecision(3)}; value saved ` +
            `${c.valueSaved.toFixed(0)}, return ${c.return.toFixed(0)}` +
            `${c.roi === null ? "" : `, ROI ${(100 * c.roi).toFixed(0)}%`}` +
            `${c.incomplete ? ` (${c.incomplete} assignments too recent, left out)` : ""}`,
      )
      .join("\n"),
  );
  return 0;
}
