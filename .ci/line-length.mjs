#!/usr/bin/env node
// Lines ≤ 120 characters in every tracked source, page and doc comment: the formatter wraps code, this catches the rest
// (comments, strings, Markdown pages). Prints file:line for each offender and exits 1 when there is one.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const LIMIT = 120;
const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { encoding: "utf8" })
  .split("\n")
  .filter((f) => /\.(ts|js|mjs|md|css)$/.test(f) && !f.startsWith("data/") && f !== "README.md");
let offenders = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split("\n").forEach((line, i) => {
    const length = [...line].length;
    if (length > LIMIT) {
      offenders++;
      if (offenders <= 400) console.log(`${file}:${i + 1}: ${length} characters (limit ${LIMIT})`);
    }
  });
}
if (offenders > 0) {
  console.log(`${offenders} line(s) longer than ${LIMIT} characters`);
  process.exit(1);
}
console.log(`line length: every line ≤ ${LIMIT} characters in ${files.length} files`);
