/** `churn survival`: Kaplan-Meier with log-log bands, medians and the log-rank test, on any flat file. */
import { z } from "zod";
import { UserError } from "../../loaders/errors.ts";
import { readFlatFile, requireColumn } from "../../loaders/flat-file.ts";
import { kaplanMeier, survivalAt, type KaplanMeierCurve } from "../../models/survival/kaplan-meier.ts";
import { logRankTest } from "../../models/survival/log-rank.ts";
import { flag, parseFlags, printResult } from "../args.ts";

export const help = `Usage: churn survival --input FILE --duration COL --event COL [--event-value V] [--group COL] [--at T1,T2,...] [--json]

Kaplan-Meier survival with 95% log-log (Greenwood) bands, as R's survfit(conf.type = "log-log") and lifelines;
the median (first time S <= 0.5; null when never reached); with --group, one curve per group and the log-rank test.
The event column accepts 1/0, true/false, yes/no (any case) unless --event-value names the value that means "event".
Without --at, survival is reported at the quartiles of the observed times.`;

const Flags = z.object({
  input: flag.string(),
  duration: flag.string(),
  event: flag.string(),
  eventValue: flag.string().optional(),
  group: flag.string().optional(),
  at: flag.list().optional(),
  json: flag.boolean(),
});

const TRUE = new Set(["1", "true", "yes", "y", "t"]);
const FALSE = new Set(["0", "false", "no", "n", "f"]);

function pointsAt(curve: KaplanMeierCurve, times: number[]) {
  return times.map((t) => ({ t, ...survivalAt(curve, t) }));
}

const summary = (curve: KaplanMeierCurve, times: number[]) => ({ n: curve.n, events: curve.totalEvents, median: curve.median, medianLower: curve.medianLower, medianUpper: curve.medianUpper, restrictedMean: curve.restrictedMean, at: pointsAt(curve, times) });

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags("survival", argv, Flags);
  const table = await readFlatFile(flags.input);
  const durationValues = requireColumn(table, flags.duration, "duration");
  const eventValues = requireColumn(table, flags.event, "event");
  const groupValues = flags.group ? requireColumn(table, flags.group, "group") : undefined;
  const durations: number[] = [];
  const events: number[] = [];
  const groups: string[] = [];
  for (let i = 0; i < table.rowCount; i++) {
    const where = `${table.file}, line ${table.lines[i]}`;
    const raw = String(durationValues[i] ?? "").trim();
    const d = Number(raw);
    if (raw === "" || !Number.isFinite(d)) throw new UserError(`${where}, column ${flags.duration}: duration "${raw}" is not a number.`, { hint: "Durations must be numbers (days, weeks, months …); fix or remove the row." });
    if (d < 0) throw new UserError(`${where}, column ${flags.duration}: duration ${raw} is negative.`, { hint: "A duration is the time from start to event or censoring; check the dates it came from." });
    const rawEvent = String(eventValues[i] ?? "").trim();
    let e: number;
    if (flags.eventValue !== undefined) e = rawEvent === flags.eventValue ? 1 : 0;
    else if (TRUE.has(rawEvent.toLowerCase())) e = 1;
    else if (FALSE.has(rawEvent.toLowerCase())) e = 0;
    else throw new UserError(`${where}, column ${flags.event}: event value "${rawEvent}" is not 1/0, true/false or yes/no.`, { hint: `Name the value that means "event" with --event-value.` });
    if (groupValues) {
      const g = String(groupValues[i] ?? "").trim();
      if (g === "") throw new UserError(`${where}, column ${flags.group}: the group is empty.`, { hint: "Give every row a group, or remove the rows without one." });
      groups.push(g);
    }
    durations.push(d);
    events.push(e);
  }
  let at: number[];
  if (flags.at) {
    at = flags.at.map((t) => {
      const x = Number(t);
      if (!Number.isFinite(x)) throw new UserError(`churn survival: --at: "${t}" is not a number.`);
      return x;
    });
  } else {
    const sorted = [...durations].sort((a, b) => a - b);
    at = [...new Set([0.25, 0.5, 0.75, 1].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!))];
  }
  const overall = kaplanMeier(durations, events);
  const output: Record<string, unknown> = { overall: summary(overall, at) };
  if (groupValues) {
    const names = [...new Set(groups)].sort();
    if (names.length < 2) throw new UserError(`churn survival: column ${flags.group} has only one group ("${names[0]}"); the log-rank test needs two or more.`);
    output["groups"] = names.map((name) => {
      const idx = groups.flatMap((g, i) => (g === name ? [i] : []));
      return { name, ...summary(kaplanMeier(idx.map((i) => durations[i]!), idx.map((i) => events[i]!)), at) };
    });
    const test = logRankTest(durations, events, groups);
    output["logRank"] = { chisq: test.chisq, df: test.df, p: test.p };
  }
  output["definitions"] = { survival: "Kaplan-Meier product-limit estimate", band: "95% log-log (Greenwood) confidence band", median: "first time with S <= 0.5, null if never reached", logRank: "chi-square test of equal survival across groups, k-1 degrees of freedom" };
  printResult(flags.json, output, () => {
    const fmt = (x: number | null) => (x === null ? "not reached" : String(x));
    const lines = [`Kaplan-Meier on ${table.file}: ${overall.n} subjects, ${overall.totalEvents} events, median ${fmt(overall.median)}`];
    const curveLines = (points: ReturnType<typeof pointsAt>, indent: string) => {
      for (const p of points) lines.push(`${indent}S(${p.t}) = ${p.survival.toFixed(3)}  [${p.lower.toFixed(3)}, ${p.upper.toFixed(3)}]  at risk ${p.atRisk}`);
    };
    curveLines(pointsAt(overall, at), "  ");
    for (const g of (output["groups"] ?? []) as ({ name: string } & ReturnType<typeof summary>)[]) {
      lines.push(`  ${flags.group} = ${g.name}: ${g.n} subjects, ${g.events} events, median ${fmt(g.median)}`);
      curveLines(g.at, "    ");
    }
    const lr = output["logRank"] as { chisq: number; df: number; p: number } | undefined;
    if (lr) lines.push(`Log-rank: chi-square ${lr.chisq.toFixed(3)} on ${lr.df} df, p = ${lr.p.toPrecision(3)}`);
    return lines.join("\n");
  });
  return 0;
}
