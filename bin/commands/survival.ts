/**
 * `churn survival`: Kaplan-Meier with log-log bands, medians and the log-rank test, on any flat file or on the
 * warehouse.
 */
import { z } from "zod";
import { queryOne, withWarehouse } from "../../loaders/db.ts";
import { UserError } from "../../loaders/errors.ts";
import {
  readFlatFile,
  rejectedNote,
  requireColumn,
  setAsideRows,
  type RejectedSummary,
} from "../../loaders/flat-file.ts";
import { MIN_GROUP, poolSmallGroups } from "../../models/survival/groups.ts";
import {
  quartileTimes,
  survivalSummary,
  type CurveSummary,
  type SurvivalSummary,
} from "../../models/survival/summary.ts";
import { customerColumnLabels, tenureToChurn } from "../../models/survival/tenure.ts";
import { quadrantFollowUp } from "../../models/value/quadrant-survival.ts";
import { loadValueSettings } from "../../models/value/settings.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage:
  churn survival --input FILE --duration COL --event COL [--event-value V] [--group COL] [--at T1,T2,...] [--json]
  churn survival --db FILE [--group plan|quadrant|COL] [--at T1,T2,...] [--as-of DATE] [--json]

Kaplan-Meier survival with 95% log-log (Greenwood) bands, as R's survfit(conf.type = "log-log") and lifelines;
the median (first time S <= 0.5; null when never reached); with --group, one curve per group and the log-rank test.
The event column accepts 1/0, true/false, yes/no (any case) unless --event-value names the value that means "event".
Without --at, survival is reported at the quartiles of the observed times.

With --db, the warehouse's subscription customers: tenure to churn in days (first subscription start to the end of the
last one, or censored at the as-of date). --group plan is the plan at the first subscription; any other column of the
customers table groups by its value (blank = "(none)"; values with fewer than ${MIN_GROUP} customers pooled as \
"(other)");
--group quadrant is the landmark analysis of the build: subscribers active 12 months before the as-of date (setting
quadrantLandmarkMonths in data/rules/value.json), grouped by their Reinartz-Kumar quadrant that day and followed \
from it.`;

const Flags = z.object({
  input: flag.string().optional(),
  db: flag.string().optional(),
  duration: flag.string().optional(),
  event: flag.string().optional(),
  eventValue: flag.string().optional(),
  group: flag.string().optional(),
  at: flag.list().optional(),
  asOf: flag.date().optional(),
  json: flag.boolean(),
});
type Flags = z.infer<typeof Flags>;

const TRUE = new Set(["1", "true", "yes", "y", "t"]);
const FALSE = new Set(["0", "false", "no", "n", "f"]);
const MAX_GROUPS = 30;

interface Subjects {
  /** Rows of the flat file set aside (none for the warehouse form). */
  rejected?: RejectedSummary;
  durations: number[];
  events: number[];
  groups?: string[];
  /** What the durations measure, for the report. */
  time: string;
  source: string;
}

/**
 * Durations, events and groups from a flat file. A row that cannot be used (a duration that is no number or is
 * negative, an event value that is none of the accepted ones, an empty group) is set aside with its reason and line,
 * counted in `rejected`; a file none of whose rows can be used is refused, naming the first.
 */
async function fromFile(flags: Flags & { input: string }): Promise<Subjects> {
  if (!flags.duration || !flags.event)
    throw new UserError("churn survival --input needs --duration COL and --event COL.");
  const file = await readFlatFile(flags.input);
  for (const note of file.notes ?? []) process.stderr.write(`note: ${note}\n`); // e.g. read as latin-1
  const durationValues = requireColumn(file, flags.duration, "duration");
  const eventValues = requireColumn(file, flags.event, "event");
  const groupValues = flags.group ? requireColumn(file, flags.group, "group") : undefined;
  const text = (v: unknown) => String(v ?? "").trim();
  const durationOf = (v: unknown) => (text(v) === "" ? Number.NaN : Number(text(v)));
  const eventOf = (v: unknown): number | null => {
    const raw = text(v);
    if (flags.eventValue !== undefined) return raw === flags.eventValue ? 1 : 0;
    return TRUE.has(raw.toLowerCase()) ? 1 : FALSE.has(raw.toLowerCase()) ? 0 : null;
  };
  const table = setAsideRows(file, (i) => {
    const d = durationOf(durationValues[i]);
    if (!Number.isFinite(d)) return "duration not a number";
    if (d < 0) return "negative duration";
    if (eventOf(eventValues[i]) === null) return "event not 1/0, true/false or yes/no";
    return groupValues && text(groupValues[i]) === "" ? "empty group" : null;
  });
  if (table.rowCount === 0) {
    const first = table.rejected.examples[0];
    throw new UserError(
      `${file.file}: none of its ${file.rowCount} rows can be used` +
        (first ? ` (line ${first.line}: ${first.reason}).` : "."),
      {
        hint:
          `Durations (--duration ${flags.duration}) must be numbers ≥ 0 (days, weeks, months …); events ` +
          `(--event ${flags.event}) 1/0, true/false or yes/no, or name the value that means "event" with ` +
          "--event-value.",
      },
    );
  }
  const kept = (column: string) => requireColumn(table, column);
  const durations = kept(flags.duration).map(durationOf);
  const events = kept(flags.event).map((v) => eventOf(v)!);
  const groups = flags.group ? kept(flags.group).map(text) : undefined;
  return {
    rejected: table.rejected,
    durations,
    events,
    groups,
    time: `column ${flags.duration}, in its own units`,
    source: table.file,
  };
}

/** Tenure to churn of the warehouse's subscription customers, or the quadrant landmark follow-up. */
async function fromWarehouse(flags: Flags & { db: string }): Promise<Subjects> {
  for (const f of ["duration", "event", "eventValue"] as const) {
    if (flags[f] !== undefined)
      throw new UserError(
        "churn survival --db computes durations and events from the warehouse; " +
          `drop --${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.`,
      );
  }
  return withWarehouse(flags.db, { readOnly: true }, async (db) => {
    const conn = db.connection;
    const asOf =
      flags.asOf ??
      (await queryOne<{ value: string }>(conn, "SELECT value FROM warehouse_meta WHERE key = 'as_of'"))?.value;
    if (!asOf) throw new UserError(`${flags.db} has no as-of date.`, { hint: "Pass --as-of DATE, or ingest again." });
    const source = `${flags.db} (as of ${asOf})`;
    if (flags.group === "quadrant") {
      const result = await quadrantFollowUp(conn, asOf, loadValueSettings());
      if ("skipped" in result)
        throw new UserError(`No survival by quadrant: ${result.skipped}.`, {
          hint: "Set a shorter quadrantLandmarkMonths in data/rules/value.json, or use a later --as-of.",
        });
      return {
        durations: Array.from(result.followUp.days),
        events: Array.from(result.followUp.events),
        groups: result.labels,
        time: `days since the landmark ${result.landmark}`,
        source,
      };
    }
    const tenure = await tenureToChurn(conn, asOf);
    if (tenure.customerIds.length === 0)
      throw new UserError(`${flags.db} has no subscriptions up to ${asOf}.`, {
        hint: "Tenure to churn needs subscription start and end dates.",
      });
    let groups: string[] | undefined;
    if (flags.group === "plan") groups = tenure.groups.plan;
    else if (flags.group) groups = await customerColumnLabels(conn, tenure.customerIds, flags.group);
    if (groups) {
      groups = poolSmallGroups(groups);
      const distinct = new Set(groups).size;
      if (distinct === 1 && groups[0] === "(other)")
        throw new UserError(
          `Every value of ${flags.group} has fewer than ${MIN_GROUP} customers; ` +
            "survival curves by group need a category column.",
          { hint: "Try plan, segment, region, acquisition_channel, industry or company_size." },
        );
      if (distinct > MAX_GROUPS)
        throw new UserError(
          `Column ${flags.group} has ${distinct} groups of ${MIN_GROUP} or more customers; ` +
            "survival curves by group need a category column.",
          { hint: "Try plan, segment, region, acquisition_channel, industry or company_size." },
        );
    }
    return {
      durations: Array.from(tenure.days),
      events: Array.from(tenure.events),
      groups,
      time: "days from first subscription start (tenure)",
      source,
    };
  });
}

function parseTimes(at: string[] | undefined, durations: number[]): number[] {
  if (!at) return quartileTimes(durations);
  return at.map((t) => {
    const x = Number(t);
    if (!Number.isFinite(x)) throw new UserError(`churn survival: --at: "${t}" is not a number.`);
    return x;
  });
}

function textReport(s: SurvivalSummary & { source: string; time: string }, group: string | undefined): string {
  const fmt = (x: number | null) => (x === null ? "not reached" : String(x));
  const lines = [
    `Kaplan-Meier on ${s.source}: ${s.overall.n} subjects, ${s.overall.events} events, ` +
      `median ${fmt(s.overall.median)}; time = ${s.time}`,
  ];
  const curveLines = (c: CurveSummary, indent: string) => {
    for (const p of c.at)
      lines.push(
        `${indent}S(${p.t}) = ${p.survival.toFixed(3)}  ` +
          `[${p.lower.toFixed(3)}, ${p.upper.toFixed(3)}]  at risk ${p.atRisk}`,
      );
  };
  curveLines(s.overall, "  ");
  for (const g of s.groups ?? []) {
    lines.push(`  ${group} = ${g.name}: ${g.n} subjects, ${g.events} events, median ${fmt(g.median)}`);
    curveLines(g, "    ");
  }
  if (s.logRank)
    lines.push(
      `Log-rank: chi-square ${s.logRank.chisq.toFixed(3)} on ${s.logRank.df} df, p = ${s.logRank.p.toPrecision(3)}`,
    );
  return lines.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("survival", argv, Flags);
  if (Boolean(flags.input) === Boolean(flags.db))
    throw new UserError("churn survival needs either --input FILE (a flat file) or --db FILE (the warehouse).", {
      hint: "See `churn survival --help`.",
    });
  const subjects = flags.input
    ? await fromFile({ ...flags, input: flags.input })
    : await fromWarehouse({ ...flags, db: flags.db! });
  if (subjects.groups) {
    const names = [...new Set(subjects.groups)];
    if (names.length < 2)
      throw new UserError(
        `churn survival: ${flags.group} has only one group ("${names[0]}"); the log-rank test needs two or more.`,
      );
  }
  const summary = survivalSummary(
    subjects.durations,
    subjects.events,
    parseTimes(flags.at, subjects.durations),
    subjects.groups,
  );
  const output = {
    ...summary,
    time: subjects.time,
    definitions: {
      survival: "Kaplan-Meier product-limit estimate",
      band: "95% log-log (Greenwood) confidence band",
      median: "first time with S <= 0.5, null if never reached",
      logRank: "chi-square test of equal survival across groups, k-1 degrees of freedom",
    },
  };
  const rejected = subjects.rejected;
  const note = rejected && flags.input ? rejectedNote(flags.input, rejected) : "";
  printResult(
    flags.json,
    rejected ? { ...output, rejected: { count: rejected.count, reasons: rejected.reasons } } : output,
    () =>
      textReport({ ...summary, source: subjects.source, time: subjects.time }, flags.group) + (note ? `\n${note}` : ""),
  );
  return 0;
}
