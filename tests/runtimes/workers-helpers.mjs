// Shared by the Workers suites: bundle a Worker with wrangler (as users deploy) and list its output
// as Miniflare modules.
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { repoBin } from "./pack.mjs";

const run = promisify(execFile);
export const COMPAT_DATE = "2026-04-01";

/** The environment wrangler runs in: offline, no metrics, no colours, a private config dir. */
export const wranglerEnv = (projectDir) => ({ ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1",
  XDG_CONFIG_HOME: path.join(projectDir, ".config") });

/** Runs wrangler in `cwd`; a failure carries its output. */
export async function wrangler(cwd, projectDir, args) {
  try {
    return await run(repoBin("wrangler"), args, { cwd, env: wranglerEnv(projectDir), maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`wrangler ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

/** Bundle a Worker with wrangler (dry-run deploy) in a project that has the package installed. */
export async function bundleWorker(projectDir, name, source, extraToml = "") {
  const dir = path.join(projectDir, "workers", name);
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(path.join(dir, "src", "index.js"), source);
  writeFileSync(
    path.join(dir, "wrangler.toml"),
    `name = "${name}"\nmain = "src/index.js"\ncompatibility_date = "${COMPAT_DATE}"\n${extraToml}`,
  );
  const outdir = path.join(dir, "dist");
  await wrangler(dir, projectDir, ["deploy", "--dry-run", "--outdir", outdir]);
  const files = readdirSync(outdir, { recursive: true }).map(String);
  return { dir, outdir, files };
}

/** wrangler's bundled output as Miniflare modules: .js as ES modules (the entry first), .wasm compiled. */
export function bundleModules({ outdir, files }) {
  return files
    .filter((f) => /\.(m?js|wasm)$/.test(f))
    .sort((a, b) => (a === "index.js" ? -1 : b === "index.js" ? 1 : 0))
    .map((f) => ({ type: f.endsWith(".wasm") ? "CompiledWasm" : "ESModule", path: path.join(outdir, f) }));
}
