//! # snowfall-wasm
//!
//! 64-bit, time-sortable, distributed GUIDs in the layout of the Python package `snowfall`
//! (41 bits of ms since an epoch | 11-bit looping counter | 12-bit generator id), with generator-id
//! leases that are fenced in the ids' own timestamp space.
//!
//! The core is plain Rust ([`Generator`], [`GuidParts`], [`LeaseTerms`], [`MemoryRegistry`]) and is
//! tested natively; the `wasm` module (wasm32 only) translates it for JavaScript.
//!
//! ```
//! use snowfall_wasm::{Generator, GuidParts, ManualClock, MemoryKeeper, MemoryRegistry, Settings};
//! let now = 1_700_000_000_000;
//! let mut registry = MemoryRegistry::default();
//! let group = registry.create_schema_group("default", 5, 1_577_836_800_000, now).unwrap();
//! let clock = ManualClock::new(now);
//! let (keeper, lease) = MemoryKeeper::claim(group, now).unwrap();
//! let mut gen = Generator::with_keeper(clock, Settings::default(), lease, Box::new(keeper));
//! let id = gen.next_id().unwrap();
//! assert_eq!(GuidParts::from_guid(id).generator_id, 0);
//! ```

// The shipped wasm is no_std (see Cargo.toml's `std` feature); everything else has std.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]

extern crate alloc;

mod clock;
mod error;
mod generator;
mod layout;
mod lease;
mod machine;
mod memory;
pub mod settings;

#[cfg(any(target_arch = "wasm32", test))]
mod allocator;
#[cfg(target_arch = "wasm32")]
mod wasm;

/// The wasm layer's exports as Rust items, for the wasm-bindgen tests (tests/wasm.rs,
/// tests/wasm_browser.rs) only: JavaScript reaches them through wasm-bindgen, and the public JS
/// API is `js/`. Not part of the crate's API.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm_exports {
    pub use crate::wasm::{
        create_memory_schema_group, drop_memory_schema_group, memory_schema_group_exists,
        memory_schema_group_status, scratch_address, take_error, WasmGenerator,
    };
}

#[cfg(not(target_arch = "wasm32"))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use error::{Error, MessageValue};
pub use generator::{Generator, GeneratorStats, Settings, DEFAULT_CLOCK_TOLERANCE_MS, SPIN_READS};
pub use layout::{
    guid_range_at, GuidParts, COUNTER_BITS, DEFAULT_EPOCH_UNIX_MS, GENERATOR_ID_BITS,
    MAX_GENERATOR_ID, MAX_LOOPING_COUNTER, MAX_MS_SINCE_EPOCH, TIMESTAMP_BITS,
};
pub use lease::{check_store_clock, Lease, LeaseKeeper, LeaseTerms, Slot, GENERATOR_ID_COUNT};
pub use machine::{ClaimOrder, LeaseMachine, MachineConfig, Outcome, Request, Step, SyncStore};
pub use memory::{
    validate_schema_group_name, MemoryKeeper, MemoryRegistry, MemorySchemaGroup, MemoryStore,
    SharedGroup, MAX_SCHEMA_GROUP_NAME_LEN, PROBE_SECONDS_RANGE,
};
