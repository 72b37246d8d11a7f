//! Grants (LeaseMachine::grant): a window handed to a device that mints offline. Native tests of
//! the core's rules on the in-memory store: the granted slot stays taken until the window ends,
//! the next holder starts above it, and the granting session can neither renew nor release it.
use snowfall_wasm::{LeaseMachine, MachineConfig, MemoryStore, Outcome, SyncStore};

const PROBE_S: i64 = 5;
const LEASE_MS: i64 = 2 * PROBE_S * 1000;

fn leased(o: Outcome) -> snowfall_wasm::Lease {
    match o {
        Outcome::Leased(l) => l,
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[test]
fn a_grant_holds_its_id_until_the_window_ends_and_the_next_holder_starts_above_it() {
    let mut store = MemoryStore::default();
    let now = 1_000_000;
    let window = 86_400_000; // a day
    let mut server = LeaseMachine::new(MachineConfig::memory("g", PROBE_S), [1, 2]);
    server.grant(now, window);
    let grant = leased(server.run_sync(now, &mut store));
    assert_eq!(grant.generator_id, 0);
    assert_eq!(grant.window_end_unix_ms, now + window);
    let slot = store.read_free(0, 1, 1, i64::MAX)[0].1.unwrap();
    assert_eq!(
        slot.last_updated_ms,
        grant.window_end_unix_ms - LEASE_MS,
        "taken by the free rule until the window ends"
    );
    assert_eq!(
        slot.reserved_until_ms, grant.window_end_unix_ms,
        "the fence is the window end"
    );

    // The granting session holds nothing: renewing is Lost, releasing writes nothing.
    server.renew(now + 1);
    assert!(matches!(
        server.run_sync(now + 1, &mut store),
        Outcome::Lost
    ));
    server.release(now + 2, Some(now + 2));
    assert!(matches!(
        server.run_sync(now + 2, &mut store),
        Outcome::Released
    ));
    assert_eq!(
        store.read_free(0, 1, 1, i64::MAX)[0].1.unwrap(),
        slot,
        "the grant's slot is untouched"
    );

    // Anyone else during the window: another id.
    let mut other = LeaseMachine::new(MachineConfig::memory("g", PROBE_S), [3, 4]);
    other.claim(now + window - 1);
    assert_ne!(
        leased(other.run_sync(now + window - 1, &mut store)).generator_id,
        0
    );

    // After the window: id 0 again, above the fence.
    let mut later = LeaseMachine::new(MachineConfig::memory("g", PROBE_S), [5, 6]);
    later.claim(now + window + 1);
    let next = leased(later.run_sync(now + window + 1, &mut store));
    assert_eq!(next.generator_id, 0);
    assert_eq!(next.window_start_unix_ms, grant.window_end_unix_ms + 1);
}

#[test]
fn a_grant_starts_at_the_fence_of_the_slot_it_takes() {
    let mut store = MemoryStore::default();
    let mut first = LeaseMachine::new(MachineConfig::memory("g", PROBE_S), [7, 8]);
    first.claim(5_000);
    let held = leased(first.run_sync(5_000, &mut store));
    first.release(6_000, Some(5_500));
    assert!(matches!(
        first.run_sync(6_000, &mut store),
        Outcome::Released
    ));
    let mut server = LeaseMachine::new(MachineConfig::memory("g", PROBE_S), [9, 10]);
    server.grant(6_001, 3_600_000);
    let grant = leased(server.run_sync(6_001, &mut store));
    assert_eq!(grant.generator_id, held.generator_id);
    assert_eq!(
        grant.window_start_unix_ms, 5_501,
        "above the last ms the previous holder minted"
    );
    assert_eq!(grant.window_end_unix_ms, 6_001 + 3_600_000);
}
