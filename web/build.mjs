// Bundles the viewer into dist/: app.js (with the Firebase SDK and uPlot), index.html, CSS.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await build({
  entryPoints: ["src/app.js"],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  outfile: "dist/app.js",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
copyFileSync("src/style.css", "dist/style.css");
copyFileSync("node_modules/uplot/dist/uPlot.min.css", "dist/uplot.css");
console.log("viewer built in web/dist");
