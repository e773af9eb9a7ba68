/**
 * The true parameters of the generated business, written to ground_truth.json so tests can check that the
 * analyses recover what was put in. Units are stated on each field.
 */
export const PLANS = [
  { name: "Basic", mrr: 49, baseMonthlyHazard: 0.032 },
  { name: "Pro", mrr: 149, baseMonthlyHazard: 0.022 },
  { name: "Enterprise", mrr: 499, baseMonthlyHazard: 0.013 },
] as const;

export const TRUE_PARAMETERS = {
  /** Share of customers by kind. */
  mix: { subscription: 0.45, buyer: 0.54, inactive: 0.01 },
  /**
   * BG/NBD (Fader, Hardie & Lee 2005) for one-off buyers; time unit: week. λ ~ Gamma(r, alpha) (alpha = rate),
   * p ~ Beta(a, b).
   */
  bgnbd: { r: 0.9, alpha: 3.5, a: 0.8, b: 3.2, unit: "week" },
  /**
   * Gamma-Gamma spend (Fader & Hardie 2013): ν ~ Gamma(q, gamma) (gamma = rate), each purchase z ~ Gamma(p, ν);
   * currency units.
   */
  gammaGamma: { p: 6.0, q: 4.0, gamma: 40.0, unit: "currency per purchase" },
  /** Share of purchases later refunded (a negative amount with the same order_id within 30 days). */
  refundRate: 0.02,
  /**
   * Subscription churn: monthly hazard h = base(plan) × exp(dissatisfaction × b_dis + log(price factor) × b_price
   *   + b_downgraded × [downgraded before]) × tenureFactor, where dissatisfaction ~ N(0, 1) per customer and the
   * price factor is the customer's MRR ÷ the plan's list MRR (lognormal, σ = 0.15).
   */
  hazard: {
    dissatisfaction: 0.45,
    logPriceFactor: 1.5,
    downgraded: 0.6,
    tenureFactor: { under3Months: 1.6, under12Months: 1.0, from12Months: 0.7 },
    priceFactorSigma: 0.15,
  },
  planChange: { upgradePerMonth: 0.012, downgradePerMonth: 0.008, downgradeDissatisfaction: 0.5 },
  reactivation: { probability: 0.12, meanMonthsAway: 5 },
  /** Symptoms. Rates per month unless stated; multiplied by exp(0.8 × dissatisfaction). */
  symptoms: {
    complaintPerMonth: 0.04,
    supportCallPerMonth: 0.12,
    deliveryDelayPerPurchase: 0.05,
    dissatisfactionEffect: 0.8,
    /** Share of subscription churners with a critical precursor 1–60 days before the churn date, and its type mix. */
    criticalPrecursorShare: 0.7,
    criticalPrecursorMix: {
      cancellation_request: 0.45,
      failed_payment: 0.2,
      downgrade_request: 0.15,
      contact_left: 0.1,
      renewal_postponed: 0.1,
    },
    /** Extra complaints (Poisson mean) in the 90 days before a churn / buyer dropout, 70% with an unhappy mood. */
    preChurnComplaints: 1.5,
    /** NPS drop (points) in the 90 days before churn; surveys every ~4 months with probability 0.6. */
    preChurnNpsDrop: 3,
    npsBase: 8.2,
    npsDissatisfaction: -1.5,
  },
  /** Churn drivers in order of effect size (names the feature tests map to). */
  drivers: [
    "cancellation_request",
    "failed_payment",
    "complaints",
    "unhappy_moods",
    "low_nps",
    "downgrade_request",
    "contact_left",
    "renewal_postponed",
    "tenure",
    "mrr",
    "plan",
    "delivery_delays",
    "low_csat",
    "purchase_decline",
  ],
} as const;

export const SEGMENTS = [
  { name: "SMB", weight: 0.6, plans: [0.65, 0.3, 0.05], sizes: ["1-10", "11-50"] },
  { name: "Mid-Market", weight: 0.3, plans: [0.3, 0.55, 0.15], sizes: ["11-50", "51-200", "201-1000"] },
  { name: "Enterprise", weight: 0.1, plans: [0.05, 0.4, 0.55], sizes: ["201-1000", "1000+"] },
] as const;

export const REGIONS = ["North America", "Europe", "APAC", "LATAM"] as const;
export const REGION_WEIGHTS = [0.42, 0.33, 0.15, 0.1] as const;
export const INDUSTRIES = [
  "Retail",
  "Software",
  "Manufacturing",
  "Healthcare",
  "Finance",
  "Education",
  "Hospitality",
  "Logistics",
] as const;
/** Acquisition channels with their mean acquisition cost (currency units) and share. */
export const CHANNELS = [
  { name: "organic", cost: 20, weight: 0.3 },
  { name: "paid_search", cost: 180, weight: 0.25 },
  { name: "referral", cost: 60, weight: 0.15 },
  { name: "partner", cost: 240, weight: 0.1 },
  { name: "outbound_sales", cost: 650, weight: 0.1 },
  { name: "events", cost: 420, weight: 0.1 },
] as const;
/** Relative signup intensity by calendar month (Jan … Dec). */
export const SIGNUP_SEASONALITY = [1.3, 1.1, 1.05, 1.0, 0.95, 0.9, 0.8, 0.8, 1.2, 1.1, 1.0, 0.7] as const;
