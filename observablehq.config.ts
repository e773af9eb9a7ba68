// Observable Framework configuration for the churn site. Offline and private: no Google Fonts (globalStylesheets
// is empty), the Inputs stylesheet is bundled through src/style.css, pages import Plot/Inputs/d3 from node_modules.
// `churn build` sets CHURN_SITE_OUT to build into a temporary folder that is swapped in only when the build succeeds,
// and CHURN_SITE_ROOT to a private copy of src/ (links) so concurrent builds never share Framework's loader cache.
// Framework runs a TypeScript data loader through bin/build/site-loader.mjs (plain Node; it waits for the file
// `churn build` is writing, else runs the loader under tsx) rather than its default, a tsx process per loader.
import { fileURLToPath } from "node:url";

export default {
  root: process.env.CHURN_SITE_ROOT ?? "src",
  output: process.env.CHURN_SITE_OUT ?? "dist",
  title: "Churn workspace",
  interpreters: { ".ts": [process.execPath, fileURLToPath(new URL("./bin/build/site-loader.mjs", import.meta.url))] },
  pages: [
    { name: "Monthly report", path: "/" },
    { name: "Cohorts", path: "/cohorts" },
    { name: "Survival", path: "/survival" },
    { name: "Customer value", path: "/value" },
    { name: "Segments", path: "/segments" },
    { name: "At-risk customers", path: "/at-risk" },
    { name: "Proactive plan", path: "/plan" },
    { name: "Why customers leave", path: "/reasons" },
    { name: "Churn model", path: "/model" },
    { name: "Data quality", path: "/data-quality" },
  ],
  globalStylesheets: [],
  style: "style.css",
  // No favicon request (browsers ask for /favicon.ico otherwise, a 404 on a static intranet host).
  head: '<link rel="icon" href="data:,">',
  search: false,
  pager: false,
  footer:
    "Built by the churn workspace from your own exports. Everything on this site is static: no data leaves it. " +
    "The at-risk page (/at-risk) lists customers by name: publish this site only where the save team may see them.",
};
