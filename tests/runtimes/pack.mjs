// Shared helper for the runtime test suites: install the built package the way a user gets it.
//
//   import { installedPackage } from "../runtimes/pack.mjs";
//   const { projectDir, packageDir, tarball } = await installedPackage();
//
// `npm pack` runs on pkg/ (the published directory, built by `npm run build`), the tarball goes into a
// temp dir, and a fresh temp project (`"type": "module"`) installs it from the tarball, so the tests
// see exactly the published files (the `files` list, the `exports` map), never the work tree.
// The result is cached per process (and per set of extra packages). Temp dirs are removed at exit
// unless SNOWFALL_KEEP_TMP=1.
//
// Environment:
//   SNOWFALL_PKG_DIR   package directory to pack (default: <repo>/pkg)
//   SNOWFALL_KEEP_TMP  keep the temp dirs (their paths are printed) for debugging
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const repoBin = (name) => path.join(repoRoot, "node_modules", ".bin", name);

/** `name@version` of one of the repo's pinned devDependencies, to install next to the package. */
export function devPackage(name) {
  const version = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).devDependencies?.[name];
  if (version === undefined) throw new Error(`${name} is not a devDependency of the repo`);
  return `${name}@${version}`;
}

const tempDirs = [];
let exitHookInstalled = false;

/** A fresh temp directory, removed when the process exits (unless SNOWFALL_KEEP_TMP=1). */
export function makeTempDir(prefix = "snowfall-") {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      if (process.env.SNOWFALL_KEEP_TMP === "1") {
        for (const d of tempDirs) process.stderr.write(`[pack] kept ${d}\n`);
        return;
      }
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function pkgDir() {
  return path.resolve(process.env.SNOWFALL_PKG_DIR || path.join(repoRoot, "pkg"));
}

const npmEnv = () => ({
  ...process.env,
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  npm_config_loglevel: "error",
});

let tarballPromise;
/** `npm pack` of pkg/ into a temp dir; resolves to the tarball's absolute path (cached). */
export function packTarball() {
  tarballPromise ??= (async () => {
    const dir = pkgDir();
    if (!existsSync(path.join(dir, "package.json"))) {
      throw new Error(`${dir}/package.json does not exist: build the package first (npm run build)`);
    }
    const dest = makeTempDir("snowfall-tgz-");
    const { stdout } = await run("npm", ["pack", dir, "--pack-destination", dest, "--json"], {
      env: npmEnv(),
      maxBuffer: 64 << 20,
    });
    const [info] = JSON.parse(stdout);
    return path.join(dest, info.filename);
  })();
  return tarballPromise;
}

const installs = new Map();
/**
 * A fresh temp project with the packed tarball installed as a dependency.
 * @param {{ extraPackages?: string[] }} [options] more npm specs to install next to it
 * @returns {Promise<{ projectDir: string, packageDir: string, tarball: string, packageJson: any }>}
 */
export function installedPackage({ extraPackages = [] } = {}) {
  const key = JSON.stringify([...extraPackages].sort());
  if (!installs.has(key)) {
    const p = (async () => {
      const tarball = await packTarball();
      const projectDir = makeTempDir("snowfall-consumer-");
      writeFileSync(
        path.join(projectDir, "package.json"),
        JSON.stringify({ name: "snowfall-consumer", version: "0.0.0", private: true, type: "module" }, null, 2),
      );
      await run("npm", ["install", "--no-package-lock", "--prefer-offline", tarball, ...extraPackages], {
        cwd: projectDir,
        env: npmEnv(),
        maxBuffer: 64 << 20,
      });
      const packageDir = path.join(projectDir, "node_modules", "snowfall-wasm");
      const packageJson = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8"));
      return { projectDir, packageDir, tarball, packageJson };
    })();
    installs.set(key, p);
    p.catch(() => installs.delete(key));
  }
  return installs.get(key);
}
