/**
 * The warehouse contract: the six raw sources in their native layout (GUIDE.md) and the tables they load into.
 * Every other part of the project reads these tables by these names; change them here and nowhere else.
 */
export type ColumnType = "id" | "text" | "date" | "number" | "integer";

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  required: boolean;
  description: string;
}

export interface SourceSpec {
  /** Source name = warehouse table name = native file stem (customers.csv, …). */
  name: SourceName;
  columns: ColumnSpec[];
  description: string;
}

export const SOURCE_NAMES = [
  "customers",
  "transactions",
  "subscriptions",
  "interactions",
  "surveys",
  "cancellations",
] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

const col = (name: string, type: ColumnType, required: boolean, description: string): ColumnSpec => ({
  name,
  type,
  required,
  description,
});

export const SOURCES: Record<SourceName, SourceSpec> = {
  customers: {
    name: "customers",
    description: "One row per customer, from the CRM.",
    columns: [
      col("customer_id", "id", true, "Customer key shared by every source."),
      col("signup_date", "date", true, "Date the customer was acquired."),
      col("name", "text", false, "Display name (company or person)."),
      col("email", "text", false, "Contact e-mail."),
      col("plan", "text", false, "Current plan or product tier."),
      col("segment", "text", false, "Business segment (e.g. SMB, mid-market)."),
      col("region", "text", false, "Sales region."),
      col("industry", "text", false, "Industry."),
      col("company_size", "text", false, "Company size band."),
      col("acquisition_channel", "text", false, "Channel the customer came from."),
      col("acquisition_cost", "number", false, "Cost to acquire the customer, in currency units."),
    ],
  },
  transactions: {
    name: "transactions",
    description: "Orders and payments; a negative amount is a refund or return.",
    columns: [
      col("customer_id", "id", true, "Customer key."),
      col("date", "date", true, "Order date."),
      col("amount", "number", true, "Order value in currency units (negative = refund)."),
      col("order_id", "text", false, "Order key, when the export has one."),
    ],
  },
  subscriptions: {
    name: "subscriptions",
    description: "Subscription periods; end_date empty = still active.",
    columns: [
      col("customer_id", "id", true, "Customer key."),
      col("start_date", "date", true, "First day of the subscription."),
      col("end_date", "date", false, "Day the subscription ended (exclusive); empty while active."),
      col("plan", "text", false, "Plan of this subscription period."),
      col("mrr", "number", false, "Monthly recurring revenue of this period, currency units per month."),
    ],
  },
  interactions: {
    name: "interactions",
    description: "Support and account interactions.",
    columns: [
      col("customer_id", "id", true, "Customer key."),
      col("date", "date", true, "Date of the interaction."),
      col(
        "type",
        "text",
        false,
        "complaint, support_call, delivery_delay, cancellation_request, failed_payment, downgrade_request, " +
          "contact_left, renewal_postponed, …",
      ),
      col("channel", "text", false, "phone, email, chat, …"),
      col("mood", "text", false, "happy / neutral / unhappy."),
      col("note", "text", false, "Free text."),
    ],
  },
  surveys: {
    name: "surveys",
    description: "Survey answers.",
    columns: [
      col("customer_id", "id", true, "Customer key."),
      col("date", "date", true, "Date answered."),
      col("nps", "integer", false, "Net Promoter answer 0–10."),
      col("csat", "integer", false, "Satisfaction 1–5."),
    ],
  },
  cancellations: {
    name: "cancellations",
    description: "Why customers left: one row per cancellation, with the reason code and the customer's own words.",
    columns: [
      col("customer_id", "id", true, "Customer key."),
      col("date", "date", true, "Date of the cancellation."),
      col("reason", "text", true, "Reason code or label as the billing or CRM tool records it."),
      col("category", "text", false, "internal / external; empty = from data/rules/reasons.json."),
      col("note", "text", false, "The customer's own words."),
      col("mrr_lost", "number", false, "MRR lost with this cancellation, currency units per month (sign ignored)."),
    ],
  },
};

const SQL_TYPES: Record<ColumnType, string> = {
  id: "VARCHAR",
  text: "VARCHAR",
  date: "DATE",
  number: "DOUBLE",
  integer: "INTEGER",
};

/** CREATE TABLE statement for a source's warehouse table (all columns, required ones NOT NULL). */
export function createTableSql(source: SourceName): string {
  const spec = SOURCES[source];
  const cols = spec.columns.map((c) => `"${c.name}" ${SQL_TYPES[c.type]}${c.required ? " NOT NULL" : ""}`);
  return `CREATE TABLE ${spec.name} (${cols.join(", ")})`;
}

/** Rows that could not be used, with the reason. `line` is the 1-based physical line in `file` (header = line 1). */
export const REJECTED_ROWS_SQL = `CREATE TABLE rejected_rows (
  source VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  line BIGINT,
  "column" VARCHAR,
  reason VARCHAR NOT NULL,
  raw VARCHAR
)`;

/** Key/value facts about the load: as_of date, ingest time, source files and counts (JSON values). */
export const WAREHOUSE_META_SQL = `CREATE TABLE warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`;
