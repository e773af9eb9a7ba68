/** Plausible company names from word lists, including non-ASCII ones and a few that look like spreadsheet formulas. */
import type { Random } from "../random.ts";

const FIRST = [
  "Acme",
  "Blue",
  "Nordic",
  "Summit",
  "Bright",
  "Green",
  "Atlas",
  "Pioneer",
  "Harbor",
  "Silver",
  "Red",
  "Oak",
  "Delta",
  "Vista",
  "Nova",
  "Crown",
  "Swift",
  "Iron",
  "Maple",
  "Lumen",
  "Müller",
  "Björk",
  "Sørensen",
  "Castaño",
  "Łódź",
  "Zürich",
  "Café",
  "Orbit",
  "Quartz",
  "Cedar",
];
const SECOND = [
  "Labs",
  "Systems",
  "Foods",
  "Logistics",
  "Health",
  "Studio",
  "Partners",
  "Retail",
  "Works",
  "Analytics",
  "Supply",
  "Media",
  "Dental",
  "Motors",
  "Bakery",
  "Clinic",
  "Goods",
  "Tech",
  "Travel",
  "Design",
];
const SUFFIX = ["Ltd", "Inc", "GmbH", "LLC", "SA", "BV", "Co", "AB", "", "", ""];
/** Names a spreadsheet would run as a formula unless the at-risk CSV neutralises them. */
const FORMULA_LIKE = [
  '=HYPERLINK("http://example.com","click")',
  "+Plus Consulting",
  "-Minus Labs",
  "@Home Services",
  "=1+1 Bakery",
];

export function companyName(rng: Random): string {
  if (rng.next() < 0.0015) return FORMULA_LIKE[rng.int(FORMULA_LIKE.length)]!;
  const suffix = SUFFIX[rng.int(SUFFIX.length)]!;
  const base = `${FIRST[rng.int(FIRST.length)]} ${SECOND[rng.int(SECOND.length)]}`;
  return suffix ? (rng.next() < 0.3 ? `${base}, ${suffix}` : `${base} ${suffix}`) : base;
}

export function emailFor(name: string, id: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[^\x00-\x7f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 24);
  return `contact.${id.toLowerCase()}@${slug || "customer"}.example`;
}
