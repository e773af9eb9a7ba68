/**
 * An independent pass over a delimited text file that finds its records the way RFC 4180 defines them: a record ends at
 * a line break (LF, CRLF or a lone CR) outside quotes; a field that starts with the quote character runs to the closing
 * quote (a doubled quote, or the escape character, inside it is a literal); blank lines hold no record; a UTF-8 BOM is
 * skipped. For each record it keeps the physical line it starts on, its number of fields and its byte range.
 *
 * Ingest uses it to count the rows it read without trusting the CSV reader it checks (read = loaded + rejected),
 * to give every row its exact physical line across quoted line breaks and blank lines, and to keep the raw text of a
 * rejected row. Own code, because no design-card library exposes record positions; one byte loop, no field copies.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export interface RecordScan {
  /** Records after the header (blank lines excluded). */
  count: number;
  /** Physical line of the header (the first non-blank line), when `header` was asked for. */
  headerLine: number | null;
  /** Physical line (1-based) each record starts on. */
  lines: Float64Array;
  /** Fields in each record. */
  fields: Uint32Array;
  /** Byte offsets of each record's first byte and one past its last (line break excluded). */
  starts: Float64Array;
  ends: Float64Array;
  /** How many of the three line-break styles (LF, CRLF, lone CR) occur outside quotes. */
  lineBreaks: number;
}

export interface ScanOptions {
  /**
   * Columns per record (default: the header's): empty trailing fields beyond it are not counted, as DuckDB's reader
   * ignores them.
   */
  width?: number;
  delimiter: string;
  quote: string;
  escape: string;
  header: boolean;
  /** The first non-blank line is no record nor the header (Excel's "sep=;" line naming the delimiter). */
  skipFirstLine?: boolean;
  /**
   * Scan records without quotes or CRs (but a CRLF ending) by locating their line end natively and counting
   * delimiters (default true).
   * False scans every byte through the state machine: the reference the fast path is tested against.
   */
  fastPath?: boolean;
}

const CR = 13;
const LF = 10;
const CHUNK = 1 << 22;

/** `to` holding `from`'s values first. */
function widened<T extends Float64Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The records found so far: one capacity check per record, four typed arrays grown together. */
class Records {
  lines = new Float64Array(1024);
  fields = new Uint32Array(1024);
  starts = new Float64Array(1024);
  ends = new Float64Array(1024);
  length = 0;
  add(line: number, fields: number, start: number, end: number): void {
    if (this.length === this.lines.length) this.grow(this.lines.length * 2);
    const k = this.length++;
    this.lines[k] = line;
    this.fields[k] = fields;
    this.starts[k] = start;
    this.ends[k] = end;
  }
  /**
   * Room for `size` records. Reserved once from the file's size and its first chunk's records, because in this
   * workspace's machines each fresh page costs a fault: doubling a 9-million-record scan's arrays cost 1.5 s.
   */
  grow(size: number): void {
    if (size <= this.lines.length) return;
    // All four are allocated before any is replaced, so a refused allocation leaves the records as they were.
    const lines = new Float64Array(size),
      fields = new Uint32Array(size),
      starts = new Float64Array(size),
      ends = new Float64Array(size);
    this.lines = widened(this.lines, lines);
    this.fields = widened(this.fields, fields);
    this.starts = widened(this.starts, starts);
    this.ends = widened(this.ends, ends);
  }
}

/** Index of byte `b` in buffer[from, end), or `end` when it is not there. */
function indexIn(buffer: Buffer, b: number, from: number, end: number): number {
  const at = buffer.indexOf(b, from);
  return at < 0 || at > end ? end : at;
}

/** Scan a file whose delimiter, quote and escape are single ASCII characters (UTF-8 or Latin-1 text). */
export function scanRecords(path: string, options: ScanOptions): RecordScan {
  const delimiter = options.delimiter.charCodeAt(0);
  let width = options.width ?? Number.POSITIVE_INFINITY;
  const quote = options.quote === "" ? -1 : options.quote.charCodeAt(0);
  const escapeByte = options.escape === "" ? -1 : options.escape.charCodeAt(0);
  const fastPath = options.fastPath ?? true;
  const records = new Records();
  let headerLine: number | null = null;
  let headerPending = options.header;
  let skipPending = options.skipFirstLine ?? false;

  let line = 1;
  let recordLine = 1;
  let recordStart = 0;
  let recordBytes = 0; // bytes seen in the current record (0 = blank so far)
  let fieldCount = 1;
  let fieldBytes = 0; // bytes of the current field, quotes included
  let fieldQuoted = false;
  let lastFilledField = 0; // the last field holding something other than nothing or ""
  let atFieldStart = true;
  const closeField = () => {
    if (fieldBytes > 0 && !(fieldQuoted && fieldBytes === 2)) lastFilledField = fieldCount;
    fieldBytes = 0;
    fieldQuoted = false;
  };
  let inQuotes = false;
  let quotePending = false; // saw a quote inside quotes: closing, or the first half of a doubled quote
  let escapePending = false;
  let afterCR = false;
  let quotedCR = false; // the last byte inside quotes was a CR (a CRLF there is one line break)
  let position = 0;
  let sawLF = false;
  let sawCRLF = false;
  let sawCR = false;

  const endRecord = (end: number) => {
    closeField();
    if (recordBytes > 0) {
      if (skipPending) skipPending = false;
      else if (headerPending) {
        headerPending = false;
        headerLine = recordLine;
        if (options.width === undefined) width = fieldCount;
      } else {
        // Like DuckDB's reader: empty fields after the header's width are no extra columns.
        records.add(recordLine, fieldCount > width && lastFilledField <= width ? width : fieldCount, recordStart, end);
      }
    }
    recordBytes = 0;
    fieldCount = 1;
    lastFilledField = 0;
    atFieldStart = true;
  };

  const fd = openSync(path, "r");
  const buffer = Buffer.alloc(CHUNK);
  try {
    let first = true;
    const fileBytes = fstatSync(fd).size;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      // After the first chunk: room for the whole file's records at that chunk's bytes per record, plus a quarter
      // (never more than one per two bytes). Pages never written cost nothing; a reservation the machine refuses
      // (a first chunk of tiny records in a huge file) leaves the arrays to grow by doubling.
      if (position > 0 && records.length > 0 && fileBytes > position) {
        const estimate = Math.ceil(((fileBytes / position) * records.length * 5) / 4);
        try {
          records.grow(Math.min(estimate, Math.ceil(fileBytes / 2)));
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
        }
      }
      let i = 0;
      if (first) {
        first = false;
        if (n >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) i = 3;
        position = i;
        recordStart = i;
      }
      // Next quote and CR at or after i in this chunk (n when none): a record ending before both is plain.
      let nextQuote = -1;
      let nextCR = -1;
      for (; i < n; i++, position++) {
        if (fastPath && recordBytes === 0 && !inQuotes && !afterCR && !headerPending && !skipPending) {
          // A record with no quote and no CR (but its CRLF): its end is the next LF, found natively, and its fields
          // are the delimiters in it plus one. Anything else (or a record past the chunk, or wider than the header with
          // empty trailing fields) goes through the state machine below.
          if (nextQuote < i) nextQuote = quote < 0 ? n : indexIn(buffer, quote, i, n);
          if (nextCR < i) nextCR = indexIn(buffer, CR, i, n);
          const e = indexIn(buffer, LF, i, n);
          // The record's last byte + 1: the LF, or the CR of a CRLF (Windows exports).
          const crlf = e < n && nextCR === e - 1 && nextCR >= i;
          const last = crlf ? e - 1 : e;
          if (e < n && e < nextQuote && (e < nextCR || crlf)) {
            let count = 1;
            for (let k = i; k < last; k++) if (buffer[k] === delimiter) count++;
            if (last === i || count <= width) {
              if (last > i) records.add(line, count, position, position + (last - i));
              if (crlf) sawCRLF = true;
              else sawLF = true;
              position += e - i;
              i = e;
              line++;
              recordLine = line;
              recordStart = position + 1;
              continue;
            }
          }
        }
        const b = buffer[i]!;
        if (afterCR) {
          afterCR = false;
          if (b === LF) sawCRLF = true;
          else sawCR = true;
          if (b === LF) {
            recordStart = position + 1;
            continue; // the LF of a CRLF outside quotes
          }
        }
        if (inQuotes) {
          if (escapePending) {
            escapePending = false;
          } else if (quotePending) {
            quotePending = false;
            if (b === quote) {
              // a doubled quote: a literal quote, still inside
            } else {
              inQuotes = false;
              i--; // look at this byte again outside quotes
              position--;
              continue;
            }
          } else if (b === quote) {
            quotePending = true;
          } else if (b === escapeByte && escapeByte !== quote) {
            escapePending = true;
          }
          if (b === CR || (b === LF && !quotedCR)) line++;
          quotedCR = b === CR;
          recordBytes++;
          fieldBytes++;
          continue;
        }
        if (b === LF || b === CR) {
          endRecord(position);
          line++;
          recordLine = line;
          recordStart = position + 1;
          if (b === CR) afterCR = true;
          else sawLF = true;
          continue;
        }
        if (recordBytes === 0) {
          recordLine = line;
          recordStart = position;
        }
        recordBytes++;
        if (b === delimiter) {
          closeField();
          fieldCount++;
          atFieldStart = true;
        } else if (atFieldStart && b === quote) {
          fieldBytes++;
          fieldQuoted = true;
          inQuotes = true;
          quotedCR = false;
          atFieldStart = false;
        } else {
          fieldBytes++;
          atFieldStart = false;
        }
      }
    }
    if (afterCR) sawCR = true;
    endRecord(position);
  } finally {
    closeSync(fd);
  }
  return {
    count: records.length,
    headerLine,
    lines: records.lines.subarray(0, records.length),
    fields: records.fields.subarray(0, records.length),
    starts: records.starts.subarray(0, records.length),
    ends: records.ends.subarray(0, records.length),
    lineBreaks: Number(sawLF) + Number(sawCRLF) + Number(sawCR),
  };
}

/** The text of records [start, end) of a file, read by byte range (for rejected rows' raw text). */
export function readRecordText(path: string, start: number, end: number, max = 2000): string {
  const fd = openSync(path, "r");
  try {
    const length = Math.min(end - start, max * 4);
    const buffer = Buffer.alloc(Math.max(0, length));
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString("utf8").slice(0, max);
  } finally {
    closeSync(fd);
  }
}

/** The delimiter of a header line: whichever of , ; tab | occurs most outside quotes (comma on a tie or none). */
export function guessDelimiter(headerLine: string, quote = '"'): string {
  const counts: Record<string, number> = { ",": 0, ";": 0, "\t": 0, "|": 0 };
  let inQuotes = false;
  for (const c of headerLine) {
    if (c === quote) inQuotes = !inQuotes;
    else if (!inQuotes && c in counts) counts[c]!++;
  }
  let best = ",";
  for (const [d, n] of Object.entries(counts)) if (n > counts[best]!) best = d;
  return best;
}
