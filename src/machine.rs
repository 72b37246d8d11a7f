//! Where a lease is decided: the lease protocol as a sans-IO state machine (the quinn-proto
//! shape). The protocol itself — slots, the compare-and-swap, the fences — is specified in
//! docs/PROTOCOL.md; this file is its only implementation.
//!
//! A [`LeaseMachine`] is one holder's session on one schema group. It reads no clock and does no
//! I/O: an operation is started with the time ([`claim`](LeaseMachine::claim),
//! [`renew`](LeaseMachine::renew), [`keep`](LeaseMachine::keep),
//! [`release`](LeaseMachine::release)); [`poll`](LeaseMachine::poll) hands out the store request
//! it wants next (with its deadline), a pause, or the outcome; the store's answers are handed back
//! with `handle_*`, each tagged with the request's sequence number so a late answer to an abandoned
//! request is ignored. Stores (SQL, Durable Objects, Redis, IndexedDB, the in-memory manifest)
//! only perform the two requests; nothing a store returns is trusted: every row is re-checked here.
//!
//! ```
//! use snowfall_wasm::{LeaseMachine, MachineConfig, MemoryStore, Outcome};
//! let mut store = MemoryStore::default();
//! let mut m = LeaseMachine::new(MachineConfig::memory("g", 5), [1, 2]);
//! m.claim(1_000);
//! let Outcome::Leased(lease) = m.run_sync(1_000, &mut store) else { panic!() };
//! assert_eq!((lease.generator_id, lease.window_start_unix_ms, lease.window_end_unix_ms), (0, 1, 11_000));
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use crate::lease::{Lease, LeaseTerms, Slot, GENERATOR_ID_COUNT};
use crate::settings::{CLAIM_CANDIDATES, MAX_UNKNOWN_CLAIMS, MAX_UNKNOWN_WRITES};
use crate::Error;

/// In which order a claim tries the free slots it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOrder {
    /// Lowest generator id first (the original's order; one process, no contention: in memory).
    LowestFirst,
    /// From a random starting id, shuffled, slots whose fence is behind the clock first: concurrent
    /// claimers on a shared store rarely meet on one row.
    Spread,
}

/// Everything that shapes one session (see src/settings.rs for defaults and ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineConfig {
    /// The group's name (for messages).
    pub schema_group: String,
    /// The group's lease timing.
    pub terms: LeaseTerms,
    /// Claim attempts after the first.
    pub max_claim_retries: u32,
    /// Jittered pause between claim attempts: low end (ms).
    pub min_retry_ms: i64,
    /// ... and high end (ms).
    pub max_retry_ms: i64,
    /// The deadline of each operation (ms).
    pub store_timeout_ms: i64,
    /// Claim order.
    pub order: ClaimOrder,
    /// Whether a released slot is free at once (in memory) or backdated (shared stores).
    pub release_free_at_once: bool,
}

impl MachineConfig {
    /// The in-memory manifest's session: lowest id first, no retries, free at once.
    pub fn memory(schema_group: &str, probe_s: i64) -> Self {
        MachineConfig {
            schema_group: schema_group.into(),
            terms: LeaseTerms::from_probe_seconds(probe_s),
            max_claim_retries: 0,
            min_retry_ms: 0,
            max_retry_ms: 0,
            store_timeout_ms: crate::settings::STORE_TIMEOUT_MS.default,
            order: ClaimOrder::LowestFirst,
            release_free_at_once: true,
        }
    }
}

/// A request for the store: the only two things a store does for a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Up to `limit` slots with `from <= generator_id < to` and `last_updated_ms < free_before_ms`,
    /// in generator-id order (a slot never written reads as the store's initial slot).
    ReadFree {
        /// First generator id of the range.
        from: u16,
        /// One past the last generator id of the range.
        to: u16,
        /// Most rows wanted.
        limit: u16,
        /// A slot is free when its `last_updated_ms` is below this.
        free_before_ms: i64,
    },
    /// Write `next` into slot `generator_id` if and only if it holds exactly `expected`; answer
    /// whether it did.
    CompareAndSwap {
        /// The slot.
        generator_id: u16,
        /// What the slot must hold.
        expected: Slot,
        /// What to write.
        next: Slot,
    },
}

/// What the machine wants next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No operation is running.
    Idle,
    /// Perform `request` and hand the answer back tagged with `seq`; give up at `deadline_ms`
    /// (then poll again: the machine abandons the request).
    Io {
        /// The request's sequence number.
        seq: u32,
        /// What to do.
        request: Request,
        /// When to stop waiting (Unix ms).
        deadline_ms: i64,
    },
    /// A request is in flight: poll again when it is answered, or at `deadline_ms`.
    Pending {
        /// When to stop waiting (Unix ms).
        deadline_ms: i64,
    },
    /// Pause (the jitter between claim attempts); poll again at `until_ms`.
    Wait {
        /// When to poll again (Unix ms).
        until_ms: i64,
    },
    /// The held lease was lost: stop minting with it now, before anything else; then poll again.
    Revoke,
    /// The operation ended.
    Done(Outcome),
}

/// How an operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A claim or renewal confirmed by the store: mint with this (and only this) from now on.
    Leased(Lease),
    /// The renewal found the slot taken by another holder: stop minting with it (`renew` only).
    Lost,
    /// The release was written, or there was nothing to release.
    Released,
    /// The operation failed; a lease held before is still valid up to its window end (unless the
    /// error is about a release).
    Failed(Error),
}

#[derive(Debug, Clone, Copy)]
struct Held {
    generator_id: u16,
    slot: Slot,
    window_start: i64,
    renewed_at: i64,
}

impl Held {
    fn lease(&self) -> Lease {
        Lease {
            generator_id: self.generator_id,
            window_start_unix_ms: self.window_start,
            window_end_unix_ms: self.slot.reserved_until_ms,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    Renew,
    Keep,
    Release,
}

#[derive(Debug, Clone, Copy)]
enum ClaimStage {
    /// Trying the claims of unknown outcome first (`Claim::adopt` of them left), then `ReadHigh`.
    Readopt,
    ReadHigh,
    ReadLow {
        need: u16,
    },
    Try,
    Backoff {
        until: i64,
    },
}

#[derive(Debug, Clone, Copy)]
enum InFlight {
    Read {
        from: u16,
        to: u16,
        limit: u16,
        free_before: i64,
    },
    Claim {
        id: u16,
        next: Slot,
        start: i64,
        at: i64,
        /// Re-adopting the claim of unknown outcome `Claim::adopt` (its value is the expected
        /// one), not a free slot.
        readopt: bool,
    },
    Write,
}

/// A claim write whose outcome is unknown (it timed out or failed in flight): slot `generator_id`
/// may hold `value`, written by this session with a token only it knows, and nobody minted with it
/// (a window is adopted only from a confirmed swap). Docs: PROTOCOL.md "Claims of unknown outcome".
#[derive(Debug, Clone, Copy)]
struct UnknownClaim {
    generator_id: u16,
    /// The first ms of the window the claim would have given (the fence it was based on + 1); a
    /// re-adoption's write keeps its claim's.
    window_start: i64,
    value: Slot,
    /// A grant's write: only ever released, never adopted (its window is not a lease).
    grant: bool,
}

#[derive(Debug)]
struct Claim {
    deadline: i64,
    attempt: u32,
    start_id: u16,
    stage: ClaimStage,
    candidates: Vec<(u16, Slot)>,
    index: usize,
    /// How many claims of unknown outcome this attempt has still to try (the next: `adopt - 1`).
    adopt: usize,
    saw_free: bool,
    contention: bool,
    /// A grant (`Some(window_ms)`): the window a device mints into offline, held by nobody.
    grant_ms: Option<i64>,
}

#[derive(Debug)]
struct Write {
    id: u16,
    kind: WriteKind,
    deadline: i64,
    next: Slot,
    bases: Vec<Slot>,
    base: usize,
    at: i64,
    /// A release's target that is a claim of unknown outcome: its `(generator id, window start)`.
    claim: Option<(u16, i64)>,
}

#[derive(Debug)]
enum Op {
    Idle,
    Claim(Claim),
    Write(Write),
    /// Lost during `keep`: report [`Step::Revoke`], then claim.
    RevokeThenClaim,
    Done(Outcome),
}

/// One holder's session on a schema group: the lease protocol, sans IO.
#[derive(Debug)]
pub struct LeaseMachine {
    cfg: MachineConfig,
    rng: [u64; 2],
    held: Option<Held>,
    /// Writes whose outcome is unknown (timed out or failed in flight), newest last: any one of
    /// them may be in the row, so renewals and the release compare against each.
    unknown: Vec<Slot>,
    /// Claim writes whose outcome is unknown, oldest first: ids this session may hold without
    /// knowing (at most MAX_UNKNOWN_CLAIMS).
    unknown_claims: Vec<UnknownClaim>,
    op: Op,
    seq: u32,
    in_flight: Option<(u32, i64, InFlight)>,
    claim_started: i64,
}

impl LeaseMachine {
    /// A session with nothing held. `seed` feeds the holder tokens, the claim order and the
    /// jitter: give it fresh randomness (`crypto.getRandomValues`); a simulation gives a fixed one.
    pub fn new(cfg: MachineConfig, seed: [u64; 2]) -> Self {
        let rng = if seed == [0, 0] {
            [0x9E37_79B9_7F4A_7C15, 1]
        } else {
            seed
        };
        LeaseMachine {
            cfg,
            rng,
            held: None,
            unknown: Vec::new(),
            unknown_claims: Vec::new(),
            op: Op::Idle,
            seq: 0,
            in_flight: None,
            claim_started: 0,
        }
    }

    /// The session's configuration.
    pub fn config(&self) -> &MachineConfig {
        &self.cfg
    }

    /// The lease the store last confirmed, if any.
    pub fn lease(&self) -> Option<Lease> {
        self.held.map(|h| h.lease())
    }

    /// The holder token of the lease held (0 if none).
    pub fn holder(&self) -> u128 {
        self.held.map_or(0, |h| h.slot.holder)
    }

    /// When the next renewal is due (Unix ms); `None` without a lease.
    pub fn renewal_due(&self) -> Option<i64> {
        self.held.map(|h| {
            self.cfg
                .terms
                .renewal_due(h.renewed_at, h.slot.reserved_until_ms)
        })
    }

    /// The generator ids this session may hold without knowing it: claims whose write timed out
    /// or failed in flight, with the value written (oldest first; several on one id when a
    /// re-adoption's outcome was unknown too). The next claim tries them first; a release frees them.
    pub fn unknown_claims(&self) -> impl Iterator<Item = (u16, Slot)> + '_ {
        self.unknown_claims
            .iter()
            .map(|u| (u.generator_id, u.value))
    }

    /// Whether an operation is running.
    pub fn busy(&self) -> bool {
        !matches!(self.op, Op::Idle)
    }

    fn next_u64(&mut self) -> u64 {
        // xorshift128+: small, and good enough for tokens, jitter and shuffles.
        let [mut s1, s0] = self.rng;
        self.rng[0] = s0;
        s1 ^= s1 << 23;
        self.rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        self.rng[1].wrapping_add(s0)
    }

    fn token(&mut self) -> u128 {
        let t = ((self.next_u64() as u128) << 64) | self.next_u64() as u128;
        t | 1 // never 0, which means "nobody"
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Abandons what is running (a write in flight may have landed: remembered as unknown).
    fn abandon(&mut self) {
        if let Some((_, _, what)) = self.in_flight.take() {
            self.remember_in_flight(what);
        }
        self.op = Op::Idle;
    }

    /// A request of the running operation got no usable answer: a claim or renewal write it made
    /// may have landed, and is remembered (a release's is not: the row then holds a value this
    /// session would release anyway, or the released one).
    fn remember_in_flight(&mut self, what: InFlight) {
        match (&self.op, what) {
            (Op::Write(w), InFlight::Write) if w.kind != WriteKind::Release => {
                let next = w.next;
                self.remember_unknown(next);
            }
            (
                Op::Claim(c),
                InFlight::Claim {
                    id, next, start, ..
                },
            ) => {
                let grant = c.grant_ms.is_some();
                self.remember_claim(id, start, next, grant);
            }
            _ => {}
        }
    }

    /// Remembers a claim write of unknown outcome (past MAX_UNKNOWN_CLAIMS the oldest is forgotten:
    /// worst case, that id stays taken until its lease runs out, as a dead holder's).
    fn remember_claim(&mut self, generator_id: u16, window_start: i64, value: Slot, grant: bool) {
        self.unknown_claims.push(UnknownClaim {
            generator_id,
            window_start,
            value,
            grant,
        });
        if self.unknown_claims.len() > MAX_UNKNOWN_CLAIMS {
            self.drop_claim(0);
        }
    }

    /// Forgets the claim write of unknown outcome `k` (one copy of this code: fewer wasm bytes).
    #[inline(never)]
    fn drop_claim(&mut self, k: usize) {
        self.unknown_claims.remove(k);
    }

    /// Forgets the claim writes of unknown outcome on `id` whose window starts at `start`: the id
    /// is ours, or was freed. (Not inlined: fewer wasm bytes.)
    #[inline(never)]
    fn forget_claims(&mut self, id: u16, start: i64) {
        let mut k = self.unknown_claims.len();
        while k > 0 {
            k -= 1;
            let u = self.unknown_claims[k];
            if u.generator_id == id && u.window_start == start {
                self.drop_claim(k);
            }
        }
    }

    fn remember_unknown(&mut self, slot: Slot) {
        if !self.unknown.contains(&slot) {
            self.unknown.push(slot);
        }
        if self.unknown.len() > MAX_UNKNOWN_WRITES {
            self.unknown.remove(0); // worst case: a false "lost" later, never a shared id
        }
    }

    /// Starts claiming a generator id: first those of claims whose outcome is unknown (a
    /// compare-and-swap from the value this session wrote: if it is still in the row, the id is
    /// ours), then a free one. Whatever was held is forgotten (not released).
    pub fn claim(&mut self, now: i64) {
        self.abandon();
        self.held = None;
        self.unknown.clear();
        self.start_claim(now, None);
    }

    /// Starts a grant: claims a free generator id exactly like [`claim`](Self::claim), but for a
    /// window of `window_ms` (the fence, then up to `max(now, fence) + window_ms`) written with
    /// `last_updated_ms = window end - lease`, so that by the free rule nobody takes the id before
    /// the window ends, and nobody's window starts before it ends (the fence). Ends `Leased` with
    /// that window and holds nothing: the window belongs to whoever the grant is handed to (a device
    /// minting offline), and this session can neither renew nor release it. (A grant's write of
    /// unknown outcome, one that timed out or failed in flight, was handed to nobody: it is never
    /// adopted, and [`release`](Self::release) frees it.)
    pub fn grant(&mut self, now: i64, window_ms: i64) {
        self.abandon();
        self.held = None;
        self.unknown.clear();
        self.start_claim(now, Some(window_ms.max(1)));
    }

    fn start_claim(&mut self, now: i64, grant_ms: Option<i64>) {
        self.claim_started = now;
        let start_id = self.pick_start();
        self.op = Op::Claim(Claim {
            deadline: now.saturating_add(self.cfg.store_timeout_ms),
            attempt: 0,
            start_id,
            stage: ClaimStage::Readopt,
            candidates: Vec::new(),
            index: 0,
            adopt: 0,
            saw_free: false,
            contention: false,
            grant_ms,
        });
        self.begin_attempt();
    }

    /// An attempt starts with the claims of unknown outcome (a claim's, not a grant's), newest
    /// first, then reads. Not when MAX_UNKNOWN_CLAIMS are remembered: a re-adoption of unknown
    /// outcome adds one, and would push out the oldest (maybe the one in the row); they are released.
    fn begin_attempt(&mut self) {
        let n = self.unknown_claims.len();
        if let Op::Claim(c) = &mut self.op {
            c.stage = ClaimStage::Readopt;
            c.adopt = if c.grant_ms.is_none() && n < MAX_UNKNOWN_CLAIMS {
                n
            } else {
                0
            };
        }
    }

    fn pick_start(&mut self) -> u16 {
        match self.cfg.order {
            ClaimOrder::LowestFirst => 0,
            ClaimOrder::Spread => self.below(GENERATOR_ID_COUNT as u64) as u16,
        }
    }

    /// Starts renewing the held lease; ends `Leased` (extended), `Lost`, or `Failed` (the
    /// window held so far stays valid). Without a lease it ends `Lost` at once.
    pub fn renew(&mut self, now: i64) {
        self.start_write(now, WriteKind::Renew, None);
    }

    /// [`renew`](Self::renew), and if the lease was lost (or none is held): [`Step::Revoke`],
    /// then a claim. What a generator runs to keep minting.
    pub fn keep(&mut self, now: i64) {
        if self.held.is_none() {
            self.claim(now);
        } else {
            self.start_write(now, WriteKind::Keep, None);
        }
    }

    /// Starts giving the held id back. Call it only once the generator stopped minting;
    /// `last_issued_unix_ms` is the last ms it minted. Then (or with nothing held) frees the ids
    /// that claims of unknown outcome may hold (see [`unknown_claims`](Self::unknown_claims)), at
    /// the fence each was claimed from. Ends `Released` (or `Failed`: what it could not free is
    /// kept for a later release); nothing is held afterwards either way.
    pub fn release(&mut self, now: i64, last_issued_unix_ms: Option<i64>) {
        self.start_write(now, WriteKind::Release, Some(last_issued_unix_ms));
    }

    fn start_write(&mut self, now: i64, kind: WriteKind, last_issued: Option<Option<i64>>) {
        self.abandon();
        let Some(held) = self.held else {
            self.unknown.clear();
            if kind != WriteKind::Release {
                self.op = Op::Done(Outcome::Lost);
                return;
            }
            // Nothing held: the release frees what claims of unknown outcome may hold.
            self.op = Op::Write(Write {
                id: 0,
                kind,
                deadline: now.saturating_add(self.cfg.store_timeout_ms),
                next: Slot::default(),
                bases: Vec::new(),
                base: 0,
                at: now,
                claim: None,
            });
            return self.release_next(false);
        };
        let terms = self.cfg.terms;
        let lease = held.lease();
        let (next, deadline) = match last_issued {
            Some(last) => {
                self.held = None; // released from now on, whatever the store answers
                let next = terms.released_slot(&lease, last, self.cfg.release_free_at_once);
                (next, now.saturating_add(self.cfg.store_timeout_ms))
            }
            None => {
                let end = terms.renewed_window_end(lease.window_end_unix_ms, now);
                let next = Slot {
                    last_updated_ms: now.max(held.slot.last_updated_ms),
                    reserved_until_ms: end,
                    holder: held.slot.holder,
                };
                if next == held.slot {
                    // Nothing would change (a second renewal in the same ms, or a clock stepped
                    // back): no write, whose "0 rows changed" would read as a lost lease on some
                    // MySQL connections. Also with unknown writes: they stay bases for the next
                    // write, and writing the same slot would leave `renewed_at` behind its
                    // `last_updated_ms`, the next renewal due at once, and every one after it a no-op.
                    self.op = Op::Done(Outcome::Leased(lease));
                    return;
                }
                // A write identical to one of unknown outcome would be a no-op on the store if that
                // one landed, and a no-op reads as "0 rows changed" (a false loss) on some MySQL
                // connections: make it differ (1 ms later is still a renewal at this time).
                let mut next = next;
                while self.unknown.contains(&next) {
                    next.last_updated_ms += 1;
                }
                // A renewal still in flight when the window ends is abandoned there.
                let mut deadline = now.saturating_add(self.cfg.store_timeout_ms);
                if lease.window_end_unix_ms >= now {
                    deadline = deadline.min(lease.window_end_unix_ms + 1);
                }
                (next, deadline)
            }
        };
        if !next.is_storable() {
            self.op = Op::Done(Outcome::Failed(Error::OutOfRange {
                what: "a lease time",
                min: 0,
                max: crate::settings::MAX_STORE_MS as u64,
                got: crate::error::MessageValue::into_text(next.reserved_until_ms),
            }));
            return;
        }
        let mut bases = Vec::with_capacity(1 + self.unknown.len());
        bases.push(held.slot);
        bases.extend(self.unknown.iter().rev().copied());
        self.op = Op::Write(Write {
            id: held.generator_id,
            kind,
            deadline,
            next,
            bases,
            base: 0,
            at: now,
            claim: None,
        });
    }

    /// A release's next target once the one before it was answered (`swapped`): the newest claim
    /// write of unknown outcome left (released with its window's start as the fence: nobody ever
    /// minted in that window), or, with none left, the end.
    fn release_next(&mut self, swapped: bool) {
        if let Op::Write(Write {
            claim: Some((id, start)),
            ..
        }) = self.op
        {
            // Answered: freed (with any other value of that claim), or not in the row (the last
            // entry: nothing changed the list since it was tried).
            if swapped {
                self.forget_claims(id, start);
            } else {
                self.drop_claim(self.unknown_claims.len() - 1);
            }
        }
        let (terms, free) = (self.cfg.terms, self.cfg.release_free_at_once);
        let target = self.unknown_claims.last().copied();
        match (&mut self.op, target) {
            (Op::Write(w), Some(u)) => {
                let lease = Lease {
                    generator_id: u.generator_id,
                    window_start_unix_ms: u.window_start,
                    window_end_unix_ms: u.value.reserved_until_ms,
                };
                w.id = u.generator_id;
                w.next = terms.released_slot(&lease, None, free);
                w.bases.clear();
                w.bases.push(u.value);
                w.base = 0;
                w.claim = Some((u.generator_id, u.window_start));
            }
            _ => self.op = Op::Done(Outcome::Released),
        }
    }

    /// What to do next at `now`. Past a request's deadline this abandons it (a write that may
    /// have landed is remembered) and the operation fails with `STORE_TIMEOUT`.
    pub fn poll(&mut self, now: i64) -> Step {
        loop {
            let deadline = match &self.op {
                Op::Idle => return Step::Idle,
                Op::Done(_) => {
                    if let Op::Done(o) = core::mem::replace(&mut self.op, Op::Idle) {
                        return Step::Done(o);
                    }
                    return Step::Idle;
                }
                Op::RevokeThenClaim => {
                    self.start_claim(now, None);
                    return Step::Revoke;
                }
                Op::Claim(c) => c.deadline,
                Op::Write(w) => w.deadline,
            };
            if now >= deadline {
                self.time_out(now);
                continue;
            }
            if self.in_flight.is_some() {
                return Step::Pending {
                    deadline_ms: deadline,
                };
            }
            if let Some(step) = self.advance(now) {
                return step;
            }
        }
    }

    /// Ends the running operation with `STORE_TIMEOUT` (a write in flight is remembered).
    fn time_out(&mut self, now: i64) {
        {
            {
                let operation = match &self.op {
                    Op::Claim(_) => "claiming a generator id",
                    Op::Write(w) if w.kind == WriteKind::Release => "releasing the generator id",
                    _ => "renewing the lease",
                };
                let started = match &self.op {
                    Op::Write(w) => w.at,
                    _ => self.claim_started,
                };
                self.abandon();
                self.op = Op::Done(Outcome::Failed(Error::StoreTimeout {
                    operation,
                    waited_ms: now - started,
                }));
            }
        }
    }

    /// The driver's own timer says request `seq` passed its deadline (a clock handed in may be
    /// frozen, as in Cloudflare Workers, and never reach it): the operation ends with
    /// `STORE_TIMEOUT`, as when `poll` sees the deadline pass. Returns whether `seq` was in flight.
    pub fn handle_timeout(&mut self, seq: u32, now: i64) -> bool {
        match self.in_flight {
            Some((s, _, _)) if s == seq => {
                self.time_out(now);
                true
            }
            _ => false,
        }
    }

    /// The driver's timer says the pause of a [`Step::Wait`] is over (whatever a frozen clock says).
    pub fn wake(&mut self, now: i64) {
        if let Op::Claim(c) = &mut self.op {
            if let ClaimStage::Backoff { until } = c.stage {
                c.stage = ClaimStage::Backoff {
                    until: until.min(now),
                };
            }
        }
    }

    /// One step of the running operation; `None` to look again.
    fn advance(&mut self, now: i64) -> Option<Step> {
        let lease_ms = self.cfg.terms.lease_ms();
        let max_retries = self.cfg.max_claim_retries;
        match &mut self.op {
            Op::Claim(c) => {
                // The compare-and-swap of this step: `(id, expected, window start, end,
                // last_updated_ms, readopt)`; every other step returns here.
                let (id, expected, start, end, last_updated_ms, readopt) = match c.stage {
                    ClaimStage::Readopt => {
                        if c.adopt == 0 {
                            c.stage = ClaimStage::ReadHigh;
                            return None;
                        }
                        c.adopt -= 1;
                        let u = self.unknown_claims[c.adopt];
                        if u.grant {
                            return None;
                        }
                        // The window a claim made now from the same fence would get, never ending
                        // before what was written; `now` as any claim writes it (a later one would
                        // leave the first renewal nothing to change, and the next due at once).
                        let (start, end) = self.cfg.terms.claim_window(u.window_start - 1, now);
                        let end = end.max(u.value.reserved_until_ms);
                        (u.generator_id, u.value, start, end, now, true)
                    }
                    ClaimStage::Try if c.index < c.candidates.len() => {
                        let (id, slot) = c.candidates[c.index];
                        let terms = self.cfg.terms;
                        let (start, end, last) = match c.grant_ms {
                            Some(window_ms) => {
                                let (start, end) =
                                    terms.grant_window(slot.reserved_until_ms, now, window_ms);
                                (start, end, end.saturating_sub(lease_ms))
                            }
                            None => {
                                let (start, end) = terms.claim_window(slot.reserved_until_ms, now);
                                (start, end, now)
                            }
                        };
                        (id, slot, start, end, last, false)
                    }
                    ClaimStage::ReadHigh | ClaimStage::ReadLow { .. } => {
                        let (from, to, limit) = match c.stage {
                            ClaimStage::ReadHigh => {
                                (c.start_id, GENERATOR_ID_COUNT as u16, CLAIM_CANDIDATES)
                            }
                            ClaimStage::ReadLow { need } => (0, c.start_id, need),
                            _ => unreachable!(),
                        };
                        let free_before = now.saturating_sub(lease_ms);
                        let deadline = c.deadline;
                        let request = Request::ReadFree {
                            from,
                            to,
                            limit,
                            free_before_ms: free_before,
                        };
                        return Some(self.issue(
                            request,
                            deadline,
                            InFlight::Read {
                                from,
                                to,
                                limit,
                                free_before,
                            },
                        ));
                    }
                    ClaimStage::Try => {
                        // Every candidate tried (or none was free): this attempt is over.
                        c.attempt += 1;
                        if c.attempt > max_retries {
                            let (saw_free, contention) = (c.saw_free, c.contention);
                            self.op =
                                Op::Done(Outcome::Failed(self.claim_failure(saw_free, contention)));
                            return None;
                        }
                        let (lo, hi) = (
                            self.cfg.min_retry_ms,
                            self.cfg.max_retry_ms.max(self.cfg.min_retry_ms),
                        );
                        let pause = lo + self.below((hi - lo + 1) as u64) as i64;
                        let until = now.saturating_add(pause);
                        if let Op::Claim(c) = &mut self.op {
                            c.stage = ClaimStage::Backoff { until };
                        }
                        return None;
                    }
                    ClaimStage::Backoff { until } => {
                        if now < until {
                            return Some(Step::Wait {
                                until_ms: until.min(c.deadline),
                            });
                        }
                        let start_id = self.pick_start();
                        if let Op::Claim(c) = &mut self.op {
                            c.start_id = start_id;
                            c.candidates.clear();
                            c.index = 0;
                        }
                        self.begin_attempt();
                        return None;
                    }
                };
                let deadline = c.deadline;
                let next = Slot {
                    last_updated_ms,
                    reserved_until_ms: end,
                    holder: self.token(), // fresh: never the value a re-adoption compares against
                };
                if !next.is_storable() {
                    if let (Op::Claim(c), false) = (&mut self.op, readopt) {
                        c.index += 1;
                    }
                    return None;
                }
                let request = Request::CompareAndSwap {
                    generator_id: id,
                    expected,
                    next,
                };
                Some(self.issue(
                    request,
                    deadline,
                    InFlight::Claim {
                        id,
                        next,
                        start,
                        at: now,
                        readopt,
                    },
                ))
            }
            Op::Write(w) => {
                if w.base < w.bases.len() {
                    let request = Request::CompareAndSwap {
                        generator_id: w.id,
                        expected: w.bases[w.base],
                        next: w.next,
                    };
                    let deadline = w.deadline;
                    return Some(self.issue(request, deadline, InFlight::Write));
                }
                // No base matched: someone else holds the slot (for a release: its next target).
                let kind = w.kind;
                self.held = None;
                self.unknown.clear();
                match kind {
                    WriteKind::Renew => self.op = Op::Done(Outcome::Lost),
                    WriteKind::Keep => self.op = Op::RevokeThenClaim,
                    WriteKind::Release => self.release_next(false),
                }
                None
            }
            Op::Idle | Op::Done(_) | Op::RevokeThenClaim => None,
        }
    }

    fn claim_failure(&self, saw_free: bool, contention: bool) -> Error {
        let group = self.cfg.schema_group.clone();
        if contention {
            Error::StoreContention {
                schema_group: group,
                attempts: self.cfg.max_claim_retries + 1,
            }
        } else {
            Error::GeneratorIdsExhausted {
                schema_group: group,
                contended: saw_free,
            }
        }
    }

    fn take_in_flight(&mut self, seq: u32) -> Option<InFlight> {
        match self.in_flight {
            Some((s, _, what)) if s == seq => {
                self.in_flight = None;
                Some(what)
            }
            _ => None, // an answer to a request abandoned (or never made): ignored
        }
    }

    /// The rows a `ReadFree` request `seq` returned: `(generator_id, slot)`, with `None` for a
    /// row whose holder is not a token this protocol writes. Rows outside the request (another
    /// range, not free, duplicated, values no store may hold, more than asked) are dropped: a
    /// store cannot make the machine claim a slot it did not read as free. Returns whether `seq`
    /// was the request in flight.
    pub fn handle_rows(&mut self, seq: u32, now: i64, rows: &[(i64, Option<Slot>)]) -> bool {
        let Some(InFlight::Read {
            from,
            to,
            limit,
            free_before,
        }) = self.take_in_flight(seq)
        else {
            return false;
        };
        let order = self.cfg.order;
        let Op::Claim(c) = &mut self.op else {
            return false;
        };
        let mut got: u16 = 0;
        for &(id, slot) in rows {
            if got >= limit {
                break;
            }
            let Some(slot) = slot else { continue };
            let in_range = id >= from as i64 && id < to as i64;
            if !in_range || !slot.is_storable() || slot.last_updated_ms >= free_before {
                continue;
            }
            let id = id as u16;
            if c.candidates.iter().any(|&(i, _)| i == id) {
                continue;
            }
            c.candidates.push((id, slot));
            got += 1;
        }
        let read_low = matches!(c.stage, ClaimStage::ReadHigh) && got < limit && c.start_id > 0;
        if read_low {
            c.stage = ClaimStage::ReadLow { need: limit - got };
            return true;
        }
        c.saw_free |= !c.candidates.is_empty();
        c.stage = ClaimStage::Try;
        c.index = 0;
        let mut cands = core::mem::take(&mut c.candidates);
        match order {
            ClaimOrder::LowestFirst => insertion_sort_by_key(&mut cands, |&(id, _)| id as i64),
            ClaimOrder::Spread => {
                for i in (1..cands.len()).rev() {
                    let j = self.below(i as u64 + 1) as usize;
                    cands.swap(i, j);
                }
                // Slots whose fence is behind our clock first: one last held by a host whose clock
                // ran ahead has a window starting in our future (still taken if nothing else is free).
                // (A stable insertion sort: at most 16 rows, and the library sorts cost kilobytes of wasm.)
                insertion_sort_by_key(&mut cands, |&(_, s)| {
                    if s.reserved_until_ms < now {
                        i64::MIN
                    } else {
                        s.reserved_until_ms
                    }
                });
            }
        }
        if let Op::Claim(c) = &mut self.op {
            c.candidates = cands;
        }
        true
    }

    /// The answer to `CompareAndSwap` request `seq`: whether the slot held `expected` and now
    /// holds `next`. Returns whether `seq` was the request in flight.
    pub fn handle_swap(&mut self, seq: u32, now: i64, swapped: bool) -> bool {
        let Some(what) = self.take_in_flight(seq) else {
            return false;
        };
        let _ = now;
        match (&mut self.op, what) {
            (
                Op::Claim(c),
                InFlight::Claim {
                    id,
                    next,
                    start,
                    at,
                    readopt,
                },
            ) => {
                if swapped && c.grant_ms.is_some() {
                    let lease = Lease {
                        generator_id: id,
                        window_start_unix_ms: start,
                        window_end_unix_ms: next.reserved_until_ms,
                    };
                    self.held = None; // a grant is handed over: never renewed nor released here
                    self.unknown.clear();
                    self.op = Op::Done(Outcome::Leased(lease));
                } else if swapped {
                    if readopt {
                        // Our write was in the row: the id was ours all along, now with a window.
                        self.forget_claims(id, start);
                    }
                    let held = Held {
                        generator_id: id,
                        slot: next,
                        window_start: start,
                        renewed_at: at,
                    };
                    self.held = Some(held);
                    self.unknown.clear();
                    self.op = Op::Done(Outcome::Leased(held.lease()));
                } else if readopt {
                    // Not in the row: forgotten (nothing changed the list since it was tried).
                    let k = c.adopt;
                    self.drop_claim(k);
                } else {
                    c.index += 1; // taken under us: the next candidate
                }
            }
            (Op::Write(w), InFlight::Write) => {
                if !swapped {
                    w.base += 1;
                } else if w.kind == WriteKind::Release {
                    self.unknown.clear();
                    self.release_next(true);
                } else if let Some(h) = &mut self.held {
                    h.slot = w.next;
                    h.renewed_at = w.at;
                    let lease = h.lease();
                    self.unknown.clear();
                    self.op = Op::Done(Outcome::Leased(lease));
                }
            }
            _ => return false,
        }
        true
    }

    /// Request `seq` failed. `contention`: the store says a retry can succeed (serialization
    /// failure, deadlock, busy): a claim pauses and tries again; anything else ends the operation
    /// (`DATABASE_ERROR`; the caller attaches the store's error). A write that failed in flight may
    /// still have landed: it is remembered. Returns whether `seq` was the request in flight.
    pub fn handle_failure(&mut self, seq: u32, now: i64, contention: bool) -> bool {
        let Some(what) = self.take_in_flight(seq) else {
            return false;
        };
        let _ = now;
        self.remember_in_flight(what);
        match (&mut self.op, what) {
            (Op::Claim(c), _) if contention => {
                c.contention = true;
                c.index = c.candidates.len(); // end this attempt: pause, read again
                c.stage = ClaimStage::Try;
            }
            (Op::Claim(_), _) => {
                self.op = Op::Done(Outcome::Failed(Error::StoreFailed {
                    operation: "claiming a generator id",
                }));
            }
            (Op::Write(w), _) => {
                let operation = if w.kind == WriteKind::Release {
                    "releasing the generator id"
                } else {
                    "renewing the lease"
                };
                self.op = Op::Done(Outcome::Failed(Error::StoreFailed { operation }));
            }
            _ => return false,
        }
        true
    }

    /// Runs the operation started last against a store that answers at once (the in-memory
    /// manifest, tests), at one instant. A `Revoke` on the way needs no action: nothing mints
    /// between the steps.
    pub fn run_sync(&mut self, now: i64, store: &mut impl SyncStore) -> Outcome {
        loop {
            match self.poll(now) {
                Step::Idle => {
                    return Outcome::Failed(Error::StoreFailed {
                        operation: "running an operation that was never started",
                    })
                }
                Step::Done(o) => return o,
                Step::Revoke | Step::Pending { .. } => {}
                Step::Wait { until_ms } => {
                    // No time passes here: a pause ends at once (a store that answers at once
                    // has no contention to wait out).
                    let _ = until_ms;
                    self.wake(now);
                }
                Step::Io { seq, request, .. } => match request {
                    Request::ReadFree {
                        from,
                        to,
                        limit,
                        free_before_ms,
                    } => {
                        let rows = store.read_free(from, to, limit, free_before_ms);
                        self.handle_rows(seq, now, &rows);
                    }
                    Request::CompareAndSwap {
                        generator_id,
                        expected,
                        next,
                    } => {
                        let swapped = store.compare_and_swap(generator_id, &expected, &next);
                        self.handle_swap(seq, now, swapped);
                    }
                },
            }
        }
    }

    fn issue(&mut self, request: Request, deadline: i64, what: InFlight) -> Step {
        self.seq = self.seq.wrapping_add(1);
        self.in_flight = Some((self.seq, deadline, what));
        Step::Io {
            seq: self.seq,
            request,
            deadline_ms: deadline,
        }
    }
}

/// Sorts a handful of rows, stably.
fn insertion_sort_by_key<T: Copy>(v: &mut [T], key: impl Fn(&T) -> i64) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > key(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// A store that answers at once (the in-memory manifest; simulations).
pub trait SyncStore {
    /// See [`Request::ReadFree`]: `(generator_id, slot)` rows.
    fn read_free(
        &mut self,
        from: u16,
        to: u16,
        limit: u16,
        free_before_ms: i64,
    ) -> Vec<(i64, Option<Slot>)>;
    /// See [`Request::CompareAndSwap`].
    fn compare_and_swap(&mut self, generator_id: u16, expected: &Slot, next: &Slot) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    /// The in-memory session with a 1 s probe (2 s leases) and a 10 s timeout.
    fn config() -> MachineConfig {
        let mut cfg = MachineConfig::memory("t", 1);
        cfg.store_timeout_ms = 10_000;
        cfg
    }

    /// A session that claimed generator id 0 at `now` in a fresh store: window 1..=now + 2000.
    fn leased(cfg: MachineConfig, now: i64) -> (LeaseMachine, MemoryStore, Lease) {
        let mut store = MemoryStore::default();
        let mut m = LeaseMachine::new(cfg, [3, 4]);
        m.claim(now);
        let Outcome::Leased(lease) = m.run_sync(now, &mut store) else {
            panic!("no lease")
        };
        (m, store, lease)
    }

    /// The next step, which must be a compare-and-swap: (seq, generator id, expected, next, deadline).
    fn cas(m: &mut LeaseMachine, now: i64) -> (u32, u16, Slot, Slot, i64) {
        match m.poll(now) {
            Step::Io {
                seq,
                request:
                    Request::CompareAndSwap {
                        generator_id,
                        expected,
                        next,
                    },
                deadline_ms,
            } => (seq, generator_id, expected, next, deadline_ms),
            other => panic!("expected a compare-and-swap, got {other:?}"),
        }
    }

    /// Starts a claim at `now` and answers its read from `store`: the next step is its first
    /// compare-and-swap (seq, generator id, expected, next, deadline).
    fn claim_until_swap(
        m: &mut LeaseMachine,
        store: &mut MemoryStore,
        now: i64,
    ) -> (u32, u16, Slot, Slot, i64) {
        m.claim(now);
        read_until_swap(m, store, now)
    }

    /// Answers the read the running claim asks for from `store`; returns its compare-and-swap.
    fn read_until_swap(
        m: &mut LeaseMachine,
        store: &mut MemoryStore,
        now: i64,
    ) -> (u32, u16, Slot, Slot, i64) {
        let Step::Io {
            seq,
            request:
                Request::ReadFree {
                    from,
                    to,
                    limit,
                    free_before_ms,
                },
            ..
        } = m.poll(now)
        else {
            panic!("expected a read")
        };
        let rows = store.read_free(from, to, limit, free_before_ms);
        assert!(m.handle_rows(seq, now, &rows));
        cas(m, now)
    }

    /// What slot `id` of `store` holds.
    fn slot_of(store: &mut MemoryStore, id: u16) -> Slot {
        store.read_free(id, id + 1, 1, i64::MAX)[0].1.unwrap()
    }

    /// The three ways a claim's compare-and-swap ends without an answer: the deadline (the
    /// driver's timer), a failure, a failure with contention (the claim goes on: a second attempt).
    #[derive(Debug, Clone, Copy)]
    enum NoAnswer {
        Timeout,
        Failure,
        Contention,
    }

    /// Ends the compare-and-swap `seq` of a claim without an answer; with contention the claim
    /// pauses, and the pause ends.
    fn no_answer(m: &mut LeaseMachine, seq: u32, now: i64, how: NoAnswer) {
        match how {
            NoAnswer::Timeout => assert!(m.handle_timeout(seq, now)),
            NoAnswer::Failure => assert!(m.handle_failure(seq, now, false)),
            NoAnswer::Contention => {
                assert!(m.handle_failure(seq, now, true));
                let Step::Wait { .. } = m.poll(now) else {
                    panic!("expected the pause between attempts")
                };
                m.wake(now);
                return;
            }
        }
        let code = if matches!(how, NoAnswer::Timeout) {
            "STORE_TIMEOUT"
        } else {
            "DATABASE_ERROR"
        };
        assert!(
            matches!(m.poll(now), Step::Done(Outcome::Failed(e)) if e.code() == code),
            "{how:?}"
        );
    }

    /// The in-memory session, with one retry (a contention failure leads to a second attempt).
    fn retrying() -> MachineConfig {
        MachineConfig {
            max_claim_retries: 1,
            min_retry_ms: 10,
            max_retry_ms: 10,
            ..config()
        }
    }

    /// A claim at 10 000 whose compare-and-swap gets no answer (`how`; applied to the store if
    /// `lands`), then at `now` the next claim (with contention: the same claim's next attempt),
    /// whose first step must be a compare-and-swap from that write. Returns the machine, the store,
    /// that step's seq, the id, the value the first claim wrote and what the next one writes.
    fn unanswered_then_claim(
        how: NoAnswer,
        lands: bool,
        now: i64,
    ) -> (LeaseMachine, MemoryStore, u32, u16, Slot, Slot) {
        let mut store = MemoryStore::default();
        let mut m = LeaseMachine::new(retrying(), [3, 4]);
        let (seq, id, free, written, _) = claim_until_swap(&mut m, &mut store, 10_000);
        if lands {
            assert!(store.compare_and_swap(id, &free, &written)); // applied; no answer comes
        }
        no_answer(&mut m, seq, 10_000, how);
        assert_eq!(
            m.lease(),
            None,
            "{how:?}: nothing adopted from an unconfirmed write"
        );
        let unknown: Vec<_> = m.unknown_claims().collect();
        assert_eq!(unknown, [(id, written)], "{how:?}");
        if !matches!(how, NoAnswer::Contention) {
            m.claim(now);
        }
        let (seq, again, expected, next, _) = cas(&mut m, now);
        assert_eq!(
            (again, expected),
            (id, written),
            "{how:?}: the write of unknown outcome first"
        );
        assert_ne!(next.holder, written.holder, "{how:?}: a fresh token");
        (m, store, seq, id, written, next)
    }

    #[test]
    fn a_claim_whose_write_landed_unanswered_is_re_adopted_first() {
        for how in [NoAnswer::Timeout, NoAnswer::Failure, NoAnswer::Contention] {
            let now = 10_500;
            let (mut m, mut store, seq, id, landed, next) = unanswered_then_claim(how, true, now);
            assert!(m.handle_swap(seq, now, store.compare_and_swap(id, &landed, &next)));
            // Its window: from the same fence (nobody minted in the one never adopted), for a lease from now.
            let lease = Lease {
                generator_id: id,
                window_start_unix_ms: 1,
                window_end_unix_ms: now + 2_000,
            };
            assert_eq!(m.poll(now), Step::Done(Outcome::Leased(lease)), "{how:?}");
            assert_eq!(slot_of(&mut store, id), next);
            assert_eq!(m.unknown_claims().count(), 0, "{how:?}");
            // And it is a lease like any other: renewed from what the re-adoption wrote.
            m.renew(now + 1_000);
            let (_, _, base, _, _) = cas(&mut m, now + 1_000);
            assert_eq!(base, next, "{how:?}");
        }
    }

    #[test]
    fn a_claim_whose_write_never_landed_is_tried_once_then_the_claim_goes_on() {
        for how in [NoAnswer::Timeout, NoAnswer::Failure, NoAnswer::Contention] {
            let now = 10_500;
            let (mut m, mut store, seq, id, _, _) = unanswered_then_claim(how, false, now);
            assert!(m.handle_swap(seq, now, false)); // not in the row: forgotten
            assert_eq!(m.unknown_claims().count(), 0, "{how:?}");
            let (seq, again, expected, next, _) = read_until_swap(&mut m, &mut store, now);
            assert_eq!(
                (again, expected),
                (id, Slot::FREE),
                "{how:?}: the normal claim"
            );
            assert!(m.handle_swap(seq, now, store.compare_and_swap(id, &expected, &next)));
            assert!(
                matches!(m.poll(now), Step::Done(Outcome::Leased(_))),
                "{how:?}"
            );
        }
    }

    #[test]
    fn a_release_after_a_failed_claim_frees_the_id_its_write_took() {
        for free_at_once in [true, false] {
            let cfg = MachineConfig {
                release_free_at_once: free_at_once,
                ..config()
            };
            let mut store = MemoryStore::default();
            let mut m = LeaseMachine::new(cfg.clone(), [3, 4]);
            let (seq, id, free, landed, deadline) = claim_until_swap(&mut m, &mut store, 10_000);
            assert!(store.compare_and_swap(id, &free, &landed));
            assert!(matches!(
                m.poll(deadline),
                Step::Done(Outcome::Failed(Error::StoreTimeout { .. }))
            ));
            assert!(!m.handle_swap(seq, deadline, true), "too late");
            // Closing the session: nothing held, but the id our write may hold is given back.
            m.release(deadline, None);
            let (seq, again, expected, next, _) = cas(&mut m, deadline);
            assert_eq!((again, expected), (id, landed));
            let released = Slot {
                last_updated_ms: if free_at_once {
                    Slot::FREE.last_updated_ms
                } else {
                    -2_000
                },
                reserved_until_ms: 0, // the fence it was claimed from: nothing was minted above it
                holder: 0,
            };
            assert_eq!(next, released);
            assert!(m.handle_swap(seq, deadline, store.compare_and_swap(id, &expected, &next)));
            assert_eq!(m.poll(deadline), Step::Done(Outcome::Released));
            assert_eq!(m.unknown_claims().count(), 0);
            // Free at once for the next claimer (not a lease later), from the same fence.
            let mut other = LeaseMachine::new(cfg, [5, 6]);
            other.claim(deadline);
            let Outcome::Leased(lease) = other.run_sync(deadline, &mut store) else {
                panic!("no lease")
            };
            assert_eq!((lease.generator_id, lease.window_start_unix_ms), (id, 1));
        }
    }

    #[test]
    fn a_release_that_finds_the_claim_gone_or_unanswered_ends_as_it_did() {
        let mut store = MemoryStore::default();
        let mut m = LeaseMachine::new(config(), [3, 4]);
        let (seq, ..) = claim_until_swap(&mut m, &mut store, 10_000);
        assert!(m.handle_failure(seq, 10_000, false)); // never landed
        m.release(10_100, Some(10_050));
        let (seq, ..) = cas(&mut m, 10_100);
        assert!(m.handle_swap(seq, 10_100, false));
        assert_eq!(m.poll(10_100), Step::Done(Outcome::Released));
        // With nothing of unknown outcome, a release without a lease does no I/O.
        m.release(10_200, None);
        assert_eq!(m.poll(10_200), Step::Done(Outcome::Released));
        // A release that times out keeps what it could not free (a later release tries again).
        let (seq, ..) = claim_until_swap(&mut m, &mut store, 11_000);
        assert!(m.handle_timeout(seq, 11_000));
        assert!(matches!(m.poll(11_000), Step::Done(Outcome::Failed(_))));
        m.release(11_000, None);
        let (seq, ..) = cas(&mut m, 11_000);
        assert!(m.handle_timeout(seq, 12_000));
        assert!(matches!(
            m.poll(12_000),
            Step::Done(Outcome::Failed(Error::StoreTimeout { .. }))
        ));
        assert_eq!(m.unknown_claims().count(), 1);
    }

    #[test]
    fn a_release_frees_the_lease_held_and_then_claims_of_unknown_outcome() {
        let mut store = MemoryStore::default();
        let mut m = LeaseMachine::new(config(), [3, 4]);
        // A claim lands unanswered on id 0; the next claim's re-adoption of it fails in flight.
        let (seq, id0, free, landed, _) = claim_until_swap(&mut m, &mut store, 10_000);
        assert!(store.compare_and_swap(id0, &free, &landed));
        assert!(m.handle_timeout(seq, 10_000));
        assert!(matches!(m.poll(10_000), Step::Done(Outcome::Failed(_))));
        m.claim(10_100);
        let (seq, ..) = cas(&mut m, 10_100);
        assert!(m.handle_failure(seq, 10_100, false)); // the re-adoption failed in flight
        assert!(matches!(m.poll(10_100), Step::Done(Outcome::Failed(_))));
        let ids: Vec<_> = m.unknown_claims().map(|(g, _)| g).collect();
        assert_eq!(
            ids,
            [id0, id0],
            "the re-adoption's write may be in the row too"
        );
        // Held: id 1 (claimed by hand); then the release frees it, then id 0 from either value.
        let mut held = LeaseMachine::new(config(), [7, 8]);
        held.claim(10_200);
        let Outcome::Leased(lease) = held.run_sync(10_200, &mut store) else {
            panic!()
        };
        assert_eq!(lease.generator_id, 1);
        held.unknown_claims = m.unknown_claims.clone();
        held.release(10_300, None);
        let (seq, id, ..) = cas(&mut held, 10_300);
        assert_eq!(id, 1, "the lease held first");
        assert!(held.handle_swap(seq, 10_300, true));
        let (seq, id, expected, _, _) = cas(&mut held, 10_300);
        assert_ne!(expected, landed, "the newest value first");
        assert!(held.handle_swap(seq, 10_300, false));
        let (seq, id_again, expected, next, _) = cas(&mut held, 10_300);
        assert_eq!((id, id_again, expected), (id0, id0, landed));
        assert!(held.handle_swap(seq, 10_300, store.compare_and_swap(id, &expected, &next)));
        assert_eq!(held.poll(10_300), Step::Done(Outcome::Released));
        assert_eq!(slot_of(&mut store, id0).holder, 0);
    }

    #[test]
    fn a_grant_of_unknown_outcome_is_never_adopted_only_released() {
        let mut store = MemoryStore::default();
        let mut m = LeaseMachine::new(config(), [3, 4]);
        m.grant(10_000, 60_000);
        let (seq, id, free, landed, _) = read_until_swap(&mut m, &mut store, 10_000);
        assert!(store.compare_and_swap(id, &free, &landed));
        assert!(m.handle_timeout(seq, 10_000));
        assert!(matches!(m.poll(10_000), Step::Done(Outcome::Failed(_))));
        m.claim(10_100);
        assert!(
            matches!(
                m.poll(10_100),
                Step::Io {
                    request: Request::ReadFree { .. },
                    ..
                }
            ),
            "a grant's window is nobody's lease: not re-adopted"
        );
        m.release(10_100, None);
        let (seq, again, expected, next, _) = cas(&mut m, 10_100);
        assert_eq!((again, expected, next.reserved_until_ms), (id, landed, 0));
        assert!(m.handle_swap(seq, 10_100, true));
        assert_eq!(m.poll(10_100), Step::Done(Outcome::Released));
    }

    #[test]
    fn a_renewal_that_would_change_nothing_writes_nothing() {
        let (mut m, _, lease) = leased(config(), 10_000);
        for now in [10_000, 9_000] {
            m.renew(now); // same ms as the claim, or the clock stepped back
            assert_eq!(m.poll(now), Step::Done(Outcome::Leased(lease)));
        }
    }

    #[test]
    fn a_renewal_never_writes_a_value_identical_to_an_unknown_one() {
        // Seen while writing tests/simulation.rs: a renewal in the same ms as a failed one wrote the
        // same slot; if the failed one had landed, that write changes nothing ("0 rows" on MySQL
        // without CLIENT_FOUND_ROWS) and read as a lost lease.
        let (mut m, _store, _) = leased(config(), 10_000);
        m.renew(11_000);
        let (seq, _, _, first, _) = cas(&mut m, 11_000);
        assert!(m.handle_failure(seq, 11_000, false));
        assert!(matches!(m.poll(11_000), Step::Done(Outcome::Failed(_))));
        m.renew(11_000);
        let (_, _, _, second, _) = cas(&mut m, 11_000);
        assert_ne!(first, second, "the second write differs from the first");
        assert_eq!(second.reserved_until_ms, first.reserved_until_ms);
        assert_eq!(second.last_updated_ms, 11_001);
    }

    #[test]
    fn seed_70_a_stepped_back_renewal_after_an_unknown_write_writes_nothing_and_is_not_due_at_once()
    {
        // tests/simulation.rs seed 70: renewals failed (their writes unknown), the clock stepped
        // back, and the next renewal wrote the very slot it expected; that left `renewed_at` behind
        // `last_updated_ms`, so the next renewal was due at once and changed nothing, again and again.
        let (mut m, _, lease) = leased(config(), 10_000);
        m.renew(10_500);
        let (seq, ..) = cas(&mut m, 10_500);
        assert!(m.handle_failure(seq, 10_600, false));
        assert!(matches!(
            m.poll(10_600),
            Step::Done(Outcome::Failed(Error::StoreFailed { .. }))
        ));
        m.renew(9_000);
        assert_eq!(m.poll(9_000), Step::Done(Outcome::Leased(lease)));
        assert!(m.renewal_due().unwrap() > 9_000);
    }

    #[test]
    fn a_renewal_gives_up_when_the_window_ends() {
        let (mut m, _, lease) = leased(config(), 10_000);
        assert_eq!(lease.window_end_unix_ms, 12_000);
        m.renew(11_500);
        assert_eq!(
            cas(&mut m, 11_500).4,
            12_001,
            "capped at the window end, not 11 500 + 10 000"
        );
        m.renew(13_000); // the window is over already: the full timeout
        assert_eq!(cas(&mut m, 13_000).4, 23_000);
    }

    #[test]
    fn a_reply_after_the_timeout_is_ignored() {
        let (mut m, _, lease) = leased(config(), 10_000);
        m.renew(11_000);
        let (seq, _, _, _, deadline) = cas(&mut m, 11_000);
        assert_eq!(
            m.poll(deadline - 1),
            Step::Pending {
                deadline_ms: deadline
            }
        );
        assert!(matches!(
            m.poll(deadline),
            Step::Done(Outcome::Failed(Error::StoreTimeout { .. }))
        ));
        assert!(!m.handle_swap(seq, deadline + 5, true));
        assert_eq!((m.poll(deadline + 5), m.lease()), (Step::Idle, Some(lease)));
    }

    #[test]
    fn a_renewal_of_unknown_outcome_that_landed_is_recognised_by_the_next() {
        let (mut m, mut store, lease) = leased(config(), 10_000);
        m.renew(11_000);
        let (_, id, held, landed, deadline) = cas(&mut m, 11_000);
        assert!(store.compare_and_swap(id, &held, &landed)); // applied; the answer never comes
        assert!(matches!(
            m.poll(deadline),
            Step::Done(Outcome::Failed(Error::StoreTimeout { .. }))
        ));
        m.renew(11_500);
        let (seq, _, expected, next, _) = cas(&mut m, 11_500);
        assert_eq!(expected, held);
        assert!(m.handle_swap(seq, 11_500, store.compare_and_swap(id, &expected, &next)));
        let (seq, _, expected, next, _) = cas(&mut m, 11_500);
        assert_eq!(expected, landed, "the remembered write is the next base");
        assert!(m.handle_swap(seq, 11_500, store.compare_and_swap(id, &expected, &next)));
        let renewed = Lease {
            window_end_unix_ms: 13_500,
            ..lease
        };
        assert_eq!(
            (m.poll(11_500), m.lease()),
            (Step::Done(Outcome::Leased(renewed)), Some(renewed))
        );
    }

    #[test]
    fn a_release_cuts_the_reservation_to_what_was_minted() {
        let cfg = MachineConfig {
            release_free_at_once: false,
            ..config()
        };
        // Window 1..=12 000: minted up to 11 000, past the end (clamped), nothing or before it.
        for (last, reserved) in [
            (Some(11_000), 11_000),
            (Some(50_000), 12_000),
            (None, 0),
            (Some(-5), 0),
        ] {
            let (mut m, ..) = leased(cfg.clone(), 10_000);
            m.release(11_500, last);
            assert_eq!(m.lease(), None);
            let (.., next, _) = cas(&mut m, 11_500);
            assert_eq!(
                next,
                Slot {
                    last_updated_ms: reserved - 2_000,
                    reserved_until_ms: reserved,
                    holder: 0
                },
                "{last:?}"
            );
        }
    }

    #[test]
    fn rows_outside_the_request_not_free_repeated_or_unreadable_are_dropped() {
        let mut m = LeaseMachine::new(config(), [3, 4]);
        m.claim(10_000);
        let Step::Io {
            seq,
            request:
                Request::ReadFree {
                    from: 0,
                    to: 4096,
                    limit: 16,
                    free_before_ms: 8_000,
                },
            ..
        } = m.poll(10_000)
        else {
            panic!("expected a read of every id")
        };
        let free = Slot {
            last_updated_ms: 100,
            reserved_until_ms: 500,
            holder: 9,
        };
        let taken = Slot {
            last_updated_ms: 8_000,
            ..free
        };
        let unstorable = Slot {
            reserved_until_ms: -1,
            ..free
        };
        let rows = [
            (-1, Some(free)),
            (4096, Some(free)),
            (3, Some(taken)),
            (5, None),
            (7, Some(free)),
            (7, Some(free)),
            (8, Some(unstorable)),
        ];
        assert!(m.handle_rows(seq, 10_000, &rows));
        let (seq, id, expected, _, _) = cas(&mut m, 10_000);
        assert_eq!((id, expected), (7, free));
        assert!(m.handle_swap(seq, 10_000, false));
        // The only candidate was taken under us: no retries configured, so the claim ends.
        let done = m.poll(10_000);
        assert!(
            matches!(
                done,
                Step::Done(Outcome::Failed(Error::GeneratorIdsExhausted {
                    contended: true,
                    ..
                }))
            ),
            "{done:?}"
        );
    }

    #[test]
    fn keep_after_a_loss_revokes_then_claims() {
        let (mut m, ..) = leased(config(), 10_000);
        m.keep(11_000);
        let (seq, ..) = cas(&mut m, 11_000);
        assert!(m.handle_swap(seq, 11_000, false)); // someone else holds the slot
        assert_eq!(m.poll(11_000), Step::Revoke);
        assert_eq!(m.lease(), None);
        assert!(matches!(
            m.poll(11_000),
            Step::Io {
                request: Request::ReadFree { .. },
                ..
            }
        ));
    }
}
