// Chaos worker (work in progress): one OS process holding a DatabaseSyncer lease and minting ids
// into its own file, for tests/js/database-chaos.test.mjs. Filled in by the next commit.
process.exit(0);
