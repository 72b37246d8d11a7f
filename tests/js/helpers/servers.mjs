// Starts the loopback PostgreSQL and MariaDB through scripts/db (which install them if missing)
// once per test run; child processes inherit the URLs through the environment.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const scripts = fileURLToPath(new URL("../../../scripts/db/", import.meta.url));
const start = (script) => execFileSync("bash", [scripts + script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop();

/** postgres:// URL of the test server (started on first use). */
export function postgresUrl() {
  process.env.SNOWFALL_TEST_PG_URL ||= start("start-postgres.sh");
  return process.env.SNOWFALL_TEST_PG_URL;
}

/** mysql:// URL of the test server (started on first use). */
export function mariadbUrl() {
  process.env.SNOWFALL_TEST_MYSQL_URL ||= start("start-mariadb.sh");
  return process.env.SNOWFALL_TEST_MYSQL_URL;
}

/** redis:// URL of the test server (started on first use). */
export function redisUrl() {
  process.env.SNOWFALL_TEST_REDIS_URL ||= start("start-redis.sh");
  return process.env.SNOWFALL_TEST_REDIS_URL;
}

export const scriptsDir = scripts;
