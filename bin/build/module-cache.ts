/**
 * A cache of the site's JavaScript dependencies as Framework bundles them (`.observablehq/cache/_node` and `_npm`:
 * Plot, d3, Inputs, apache-arrow…), shared by every site build of this checkout.
 *
 * Each build has a private Framework root (framework.ts), so without this Framework would bundle d3's thirty modules,
 * Plot and Arrow again on every build: most of the site stage. Those bundles depend only on the installed package
 * versions (their folder names carry the version), never on the warehouse, so one build can reuse another's. The cache
 * lives in node_modules/.cache, so `npm ci` (new versions) starts it afresh.
 *
 * A build gets a copy of the cache (never the cache itself: Framework writes a bundle in place, and another build must
 * not read it half-written); after a successful build each package folder the cache lacks is published by an atomic
 * rename, so two builds publishing the same package at once leave one whole copy.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

const KINDS = ["_node", "_npm"] as const;
/** A package folder being published (or left by a publisher that died): never copied into a build. */
const STAGING = /\.tmp-\d+$/;

/** Package folders of one kind (scoped packages, `@scope/name@version`, are one level deeper). */
function packageFolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (!e.isDirectory() || STAGING.test(e.name)) return [];
    if (!e.name.startsWith("@")) return [e.name];
    return readdirSync(join(dir, e.name), { withFileTypes: true })
      .filter((s) => s.isDirectory())
      .map((s) => join(e.name, s.name));
  });
}

/** Copy the shared bundles into a build's Framework cache folder (`<root>/.observablehq/cache`). */
export function seedModuleCache(sharedDir: string, buildCache: string): void {
  for (const kind of KINDS) {
    const from = join(sharedDir, kind);
    const whole = (path: string) => !STAGING.test(path);
    if (existsSync(from)) cpSync(from, join(buildCache, kind), { recursive: true, filter: whole });
  }
}

/** Publish the package bundles this build made that the shared cache lacks; a failure only costs a later rebuild. */
export function publishModuleCache(buildCache: string, sharedDir: string): void {
  for (const kind of KINDS) {
    for (const pkg of packageFolders(join(buildCache, kind))) {
      const target = join(sharedDir, kind, pkg);
      if (existsSync(target)) continue;
      const staging = `${target}.tmp-${process.pid}`;
      try {
        mkdirSync(join(target, ".."), { recursive: true });
        cpSync(join(buildCache, kind, pkg), staging, { recursive: true });
        renameSync(staging, target);
      } catch {
        rmSync(staging, { recursive: true, force: true });
      }
    }
  }
}
