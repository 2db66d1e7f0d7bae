// Bundle every src_js/*.js entry whose name does not start with "_" into dragon_widgets/static/.
// Usage: node src_js/_build.mjs [--watch]
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "dragon_widgets", "static");
const entryPoints = readdirSync(here)
	.filter((f) => f.endsWith(".js") && !f.startsWith("_"))
	.map((f) => join(here, f));

const options = {
	entryPoints,
	outdir,
	bundle: true,
	format: "esm",
	target: ["es2020"],
	minify: !process.argv.includes("--watch"),
	sourcemap: process.argv.includes("--watch") ? "inline" : false,
	loader: { ".css": "text" },
	logLevel: "info",
};

if (process.argv.includes("--watch")) {
	const ctx = await esbuild.context(options);
	await ctx.watch();
} else {
	await esbuild.build(options);
}
