/**
 * Two flat churn files for bench/peers.ts, generated with a fixed seed so every run times the same rows: shapes of
 * public churn files this project cannot ship, chosen for what they test beside IBM Telco.
 * - bank-like (10,000 rows, 12 features; the shape of the widely used bank-churn file): a Surname text column of
 *   3,000 names seen about three times each and a RowNumber, neither of them predictive: a forest that codes text by
 *   churn rate must not learn the training labels from the names (dataset.ts, cross fitting).
 * - telecom-like (2,666 rows, 12 features; the shape of the telecom churn file with US states): a State column of 51
 *   values of small true effects, about 42 rows each, beside minutes, plans and service calls.
 * Labels come from a known logistic model (the coefficients below), so both files have a signal to find.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRandom } from "../loaders/random.ts";
import type { FlatSpec } from "./peers.ts";

const logistic = (z: number) => 1 / (1 + Math.exp(-z));

function bankLike(): string {
  const rng = createRandom(7);
  const lines = [
    "RowNumber,CustomerId,Surname,CreditScore,Geography,Gender,Age,Tenure,Balance,NumOfProducts,HasCrCard," +
      "IsActiveMember,EstimatedSalary,Exited",
  ];
  for (let i = 0; i < 10_000; i++) {
    const geography = ["France", "France", "Spain", "Germany"][Math.floor(rng.next() * 4)]!;
    const gender = rng.next() < 0.5 ? "Male" : "Female";
    const age = Math.round(Math.min(92, Math.max(18, 39 + 10 * rng.normal())));
    const balance = rng.next() < 0.36 ? 0 : Math.round((120_000 + 30_000 * rng.normal()) * 100) / 100;
    const products = [1, 1, 2, 2, 2, 3, 4][Math.floor(rng.next() * 7)]!;
    const active = rng.next() < 0.51 ? 1 : 0;
    const z =
      -3.2 +
      0.07 * (age - 39) +
      (geography === "Germany" ? 0.8 : 0) +
      (gender === "Female" ? 0.5 : 0) -
      active +
      (products >= 3 ? 1.5 : products === 2 ? -0.4 : 0) +
      0.000003 * balance;
    lines.push(
      [
        i + 1,
        15_600_000 + i,
        `S${1 + Math.floor(rng.next() * 3000)}`,
        Math.round(Math.min(850, Math.max(350, 650 + 96 * rng.normal()))),
        geography,
        gender,
        age,
        Math.floor(rng.next() * 11),
        balance,
        products,
        rng.next() < 0.7 ? 1 : 0,
        active,
        Math.round(rng.next() * 20_000_000) / 100,
        rng.next() < logistic(z) ? 1 : 0,
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

function telecomLike(): string {
  const rng = createRandom(5);
  const stateEffect = Array.from({ length: 51 }, () => 0.3 * rng.normal());
  const lines = [
    "id,State,Account length,Area code,International plan,Voice mail plan,Number vmail messages," +
      "Total day minutes,Total day calls,Total day charge,Total eve minutes,Total intl calls," +
      "Customer service calls,Churn",
  ];
  for (let i = 0; i < 2_666; i++) {
    const state = Math.floor(rng.next() * 51);
    const international = rng.next() < 0.1;
    const voicemail = rng.next() < 1 / 3;
    const dayMinutes = Math.round((180 + 54 * rng.normal()) * 10) / 10;
    const eveMinutes = Math.round((200 + 50 * rng.normal()) * 10) / 10;
    const serviceCalls = Math.min(9, Math.floor(-Math.log(1 - rng.next()) / 0.7));
    const z =
      -4 +
      0.018 * (dayMinutes - 180) +
      (international ? 2 : 0) -
      (voicemail ? 0.8 : 0) +
      0.6 * Math.max(0, serviceCalls - 3) +
      0.004 * (eveMinutes - 200) +
      stateEffect[state]!;
    lines.push(
      [
        i,
        `S${String(state).padStart(2, "0")}`,
        1 + Math.floor(rng.next() * 240),
        [408, 415, 510][Math.floor(rng.next() * 3)],
        international ? "Yes" : "No",
        voicemail ? "Yes" : "No",
        voicemail ? 10 + Math.floor(rng.next() * 41) : 0,
        dayMinutes,
        40 + Math.floor(rng.next() * 121),
        Math.round(dayMinutes * 17) / 100,
        eveMinutes,
        Math.floor(rng.next() * 21),
        serviceCalls,
        rng.next() < logistic(z) ? "True" : "False",
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Write both files into `dir`; their specs for trainPeer. */
export function writePeerFiles(dir: string): FlatSpec[] {
  mkdirSync(dir, { recursive: true });
  const bank = join(dir, "bank-like.csv");
  const telecom = join(dir, "telecom-like.csv");
  writeFileSync(bank, bankLike());
  writeFileSync(telecom, telecomLike());
  return [
    { file: bank, target: "Exited", positive: "1", id: "CustomerId" },
    { file: telecom, target: "Churn", positive: "True", id: "id" },
  ];
}
