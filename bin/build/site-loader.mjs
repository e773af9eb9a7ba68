// How Framework runs a data loader src/data/NAME.EXT.ts (observablehq.config.ts `interpreters`), instead of its
// default `tsx NAME.EXT.ts` (two Node processes, then the loader's modules: DuckDB, the models). Plain JavaScript, so
// a loader that only has to wait costs one bare Node start (about 0.05 CPU-s against about 1 CPU-s).
//
// During `churn build`, the build writes every data file itself, beside Framework (bin/build/framework.ts), into the
// folder CHURN_SITE_DATA_WAIT names. Framework runs a loader when it reaches a file before the build has written it:
// then this waits for the build's copy and prints it; it computes the file itself only when the build's data writing
// has ended without it (the file CHURN_SITE_DATA_ENDED exists) or the build (CHURN_SITE_DATA_PID) is gone.
// Otherwise (observable preview, observable build by hand) it runs the loader under tsx in this process.
//   node bin/build/site-loader.mjs src/data/NAME.EXT.ts
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Is the process with this id still running? */
function alive(pid) {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The build's copy of the loader's file once it is written, or null when the build will not write it. */
async function buildsCopy(loader) {
  const dir = process.env.CHURN_SITE_DATA_WAIT;
  if (!dir) return null;
  const file = join(dir, basename(loader).replace(/\.ts$/, ""));
  const ended = process.env.CHURN_SITE_DATA_ENDED;
  const builder = Number(process.env.CHURN_SITE_DATA_PID);
  for (;;) {
    if (existsSync(file)) return readFileSync(file);
    if ((ended && existsSync(ended)) || !alive(builder)) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const loader = process.argv[2];
if (!loader) {
  process.stderr.write("usage: node bin/build/site-loader.mjs src/data/NAME.EXT.ts\n");
  process.exit(2);
}
const copy = await buildsCopy(loader);
if (copy) {
  process.stdout.write(copy);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(resolve(loader)).href);
}
