/** The browser's CSV (src/components/csv.js, for "download this view") writes the same bytes as the server's. */
import { describe, expect, it } from "vitest";
import { toCsv as serverCsv } from "../models/actions/csv.ts";
// @ts-expect-error: a plain browser module without type declarations
import { toCsv as browserCsv } from "../src/components/csv.js";

describe("CSV in the browser and on the server", () => {
  it("agrees on formulas, accents, quotes, newlines, numbers and blanks", () => {
    const rows = [
      ['=HYPERLINK("http://x","y")', -1.5, null],
      ["Müller, GmbH", 0, 'say "hi"\nbye'],
      ["@home", Number.NaN, "+plus"],
    ];
    expect(browserCsv(["a", "b", "c"], rows)).toBe(serverCsv(["a", "b", "c"], rows));
  });
});
