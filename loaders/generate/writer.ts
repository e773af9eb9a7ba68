/**
 * Fast CSV writing for the generator: rows are pre-formatted strings, buffered and written in large chunks.
 * Tracks the physical line of every row (header = line 1), and can inject "dirty" rows for the ingest tests.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Random } from "../random.ts";

/** RFC 4180 quoting, only when needed. */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Integer cents → "12.34" / "-5.00". */
export function money(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const rest = abs - units * 100;
  return `${sign}${units}.${rest < 10 ? "0" : ""}${rest}`;
}

export type DirtyKind = "empty_id" | "impossible_date" | "bad_number" | "duplicate" | "missing_field";
export interface DirtyRow {
  file: string;
  line: number;
  kind: DirtyKind;
}

export interface DirtySpec {
  rate: number;
  rng: Random;
  /** Which kinds this file may receive, and where its date and numeric fields are (0-based). */
  kinds: DirtyKind[];
  dateField: number;
  numberField?: number;
  log: DirtyRow[];
}

export class CsvFile {
  private readonly fd: number;
  private chunk: string[] = [];
  /** Physical line of the last row written (header = 1). */
  line = 1;
  rows = 0;

  constructor(
    path: string,
    header: string[],
    private readonly name: string,
    private readonly dirty?: DirtySpec,
  ) {
    this.fd = openSync(path, "w");
    writeSync(this.fd, `${header.join(",")}\n`);
  }

  write(row: string): void {
    const dirty = this.dirty;
    if (dirty && dirty.rate > 0 && dirty.rng.next() < dirty.rate && !row.includes('"')) {
      this.writeDirty(row, dirty);
      return;
    }
    this.push(row);
  }

  private push(row: string): void {
    this.chunk.push(row);
    this.line++;
    this.rows++;
    if (this.chunk.length >= 16_384) this.flush();
  }

  private writeDirty(row: string, dirty: DirtySpec): void {
    const kind = dirty.kinds[dirty.rng.int(dirty.kinds.length)]!;
    const fields = row.split(",");
    switch (kind) {
      case "empty_id":
        fields[0] = "";
        break;
      case "impossible_date":
        fields[dirty.dateField] = fields[dirty.dateField]!.slice(0, 4) + "-02-30";
        break;
      case "bad_number":
        fields[dirty.numberField ?? 0] = "12..5";
        break;
      case "missing_field":
        fields.pop();
        break;
      case "duplicate":
        this.push(row);
        break;
    }
    this.push(fields.join(","));
    dirty.log.push({ file: this.name, line: this.line, kind });
  }

  flush(): void {
    if (this.chunk.length === 0) return;
    writeSync(this.fd, `${this.chunk.join("\n")}\n`);
    this.chunk = [];
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
