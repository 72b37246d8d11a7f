// Loads the package the way a user has it: packed with `npm pack`, installed from the tarball into
// a temp project (tests/runtimes/pack.mjs), then imported through its own `exports` map.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { installedPackage } from "../runtimes/pack.mjs";

const run = promisify(execFile);

/** The installed package's ESM module namespace (resolved with the "node" + "import" conditions). */
export async function importInstalled() {
  const { packageDir, packageJson } = await installedPackage();
  return import(pathToFileURL(path.join(packageDir, packageJson.exports["."].node.import)).href);
}

/** Runs `source` as a file of the consumer project in a fresh Node; returns its last stdout line as JSON. */
export async function runInProject(file, source) {
  const { projectDir } = await installedPackage();
  const p = path.join(projectDir, file);
  writeFileSync(p, source);
  try {
    const { stdout } = await run(process.execPath, [p], { cwd: projectDir, timeout: 120_000, maxBuffer: 1 << 26 });
    return JSON.parse(stdout.trim().split("\n").at(-1));
  } catch (e) {
    throw new Error(`node ${file} failed (exit ${e.code}):\n${e.stdout ?? ""}\n${e.stderr ?? e}`);
  }
}
