// Chaos tests of the DatabaseSyncer against real servers (issue 3), work in progress: worker
// processes (helpers/chaos-worker.mjs) mint ids into files while holders are killed, paused,
// skewed and the database is stopped; every id minted must be unique. Filled in by the next commit.
import { test } from "node:test";

test("database chaos suite (being written)", { todo: true }, () => {});
