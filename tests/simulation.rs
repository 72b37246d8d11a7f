//! A deterministic simulation of the lease protocol (in the style of quinn's test `Pair`): many
//! holders, each a `LeaseMachine` plus a `Generator` with its own skewed clock, share one simulated
//! store of 4096 slots behind a simulated network, driven by a discrete-event scheduler in
//! simulated milliseconds. Nothing sleeps and no real clock is read: a seed fixes the whole run.
//!
//! - The store: exact compare-and-swap on whole slots, initial slots {0, 0, 0} (a database's). In
//!   half the runs only a few slots are usable (the rest belong to a foreign holder for ever), so
//!   claims contend and ids change hands. Its rows are not trusted: now and then it adds a row out
//!   of range, not free, duplicated or with a holder no session writes.
//! - The network: a latency per request and per reply (some longer than the deadline), lost
//!   requests (never applied), lost replies (applied, never answered), requests and replies
//!   delivered twice, answers out of order, and store outages (every request fails, contention or
//!   not; some fail after being applied).
//! - The holders: mint at random times, `keep` when `renewal_due()` passes (some `renew`, and
//!   claim themselves after `Lost`; now and then one renews early), get paused for longer than a
//!   lease (SIGSTOP: their events wait), killed (never release; a fresh holder replaces them) and
//!   closed (revoke, then `release`); clocks offset by seconds, drifting, stepping (up to 30 s).
//! - The end: RUN_MS in, the store recovers (a calm network, no outages); DRAIN_MS later every
//!   holder closes.
//!
//! Checked in every run:
//! - no two holders mint with one (generator id, ms); no id repeats; every id lies in its lease;
//! - windows adopted by different holders never overlap on one generator id (a released window
//!   counts up to what was minted), and no write ever sets a slot's fence below one of them;
//! - no operation waits past its deadline: a poll at or after a request's deadline ends the
//!   operation with STORE_TIMEOUT, and no deadline lies past the operation's timeout;
//! - an answer is accepted (`handle_*` returns true) exactly when it answers the request in flight;
//! - a claim only tries a slot some read of it returned, in range and free, or re-adopts a claim
//!   write of its own whose outcome is unknown; renewals and releases start only from values the
//!   holder wrote; a renewal that writes nothing never leaves the next one due at once (a driver
//!   renewing when due would spin);
//! - no id leaked past a failed claim: once a release ended `Released`, no slot is still taken by
//!   a claim write of that holder never adopted (claims whose compare-and-swap landed unanswered
//!   are re-adopted by the next claim or freed by the release);
//! - progress: the holders mint a good share of what they try.
//!
//! `SIM_SEEDS=n` runs seeds 1..=n (default 300). A failure names its seed; replay exactly that run
//! (and print its statistics) with `SIM_SEED=<n> cargo test --test simulation -- --nocapture`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use snowfall_wasm::{
    ClaimOrder, Error, Generator, GuidParts, Lease, LeaseMachine, LeaseTerms, MachineConfig,
    ManualClock, Outcome, Request, Settings, Slot, Step, DEFAULT_EPOCH_UNIX_MS, GENERATOR_ID_COUNT,
};

/// What the holders' clocks read (give or take their offsets) when a run starts.
const START: i64 = DEFAULT_EPOCH_UNIX_MS + 5 * 365 * 86_400_000;
/// Simulated length of a run.
const RUN_MS: i64 = 30_000;
/// The group's liveliness probe; a lease lasts two.
const PROBE_S: i64 = 1;
const LEASE_MS: i64 = 2_000 * PROBE_S;
/// After RUN_MS the network is calm; DRAIN_MS later (past any request in flight, any pause) every
/// holder closes, and the run ends END_MS after RUN_MS.
const DRAIN_MS: i64 = 20_000;
const END_MS: i64 = 40_000;

/// A value in a slot, hashable: (generator id, last updated, reserved until, holder).
type Key = (u16, i64, i64, u128);
fn key(g: u16, s: Slot) -> Key {
    (g, s.last_updated_ms, s.reserved_until_ms, s.holder)
}

/// splitmix64: tiny and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// What the simulation counts, to report and to check that every hazard really happened.
#[derive(Clone, Copy)]
enum C {
    Attempts,
    Minted,
    Claims,
    Renewals,
    Revokes,
    Releases,
    Timeouts,
    StoreErrors,
    LostRequests,
    LostReplies,
    LateAnswers,
    FailedAfterApply,
    JunkRows,
    Pauses,
    Kills,
    ClockSteps,
    HandOvers,
    EarlyRenewals,
    Duplicated,
    Readopted,
    FreedUnknown,
    LeakChecks,
}
const NAMES: [&str; 22] = [
    "ids tried",
    "ids minted",
    "claims",
    "renewals",
    "revokes",
    "releases",
    "timeouts",
    "store errors",
    "lost requests",
    "lost replies",
    "late answers ignored",
    "failed after applying",
    "junk rows",
    "pauses",
    "kills",
    "clock steps",
    "ids claimed after another holder",
    "early renewals",
    "duplicated requests and replies",
    "claims of unknown outcome re-adopted",
    "claims of unknown outcome released",
    "releases checked for leaked ids",
];
type Counts = [u64; NAMES.len()];

/// A store's answer to one request.
#[derive(Debug, Clone)]
enum Answer {
    Rows(Vec<(i64, Option<Slot>)>),
    Swapped(bool),
    Failed { contention: bool },
}

#[derive(Debug)]
enum Ev {
    /// A request reaches the store (`reply_lost`: the answer never comes back; `again`: a second
    /// delivery, whose answer is not sent either).
    Arrive {
        uid: u32,
        seq: u32,
        request: Request,
        reply_lost: bool,
        again: bool,
    },
    /// The store's answer reaches the holder.
    Reply {
        uid: u32,
        seq: u32,
        answer: Answer,
    },
    /// The holder's timer: a deadline, the end of a pause between claim attempts, a renewal due.
    Wake {
        uid: u32,
        token: u64,
    },
    /// The holder's application asks for ids.
    Mint {
        uid: u32,
    },
    Chaos,
    Spawn,
}

/// An event at a simulated ms; `order` keeps events of one ms first-in first-out.
struct Queued(i64, u64, Ev);

impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.0, o.1).cmp(&(self.0, self.1)) // BinaryHeap is a max-heap: earliest first
    }
}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for Queued {}

/// The operation a holder's machine is running, as the driver saw it start.
struct Track {
    what: &'static str,
    /// Its start plus the store timeout: no deadline may lie later.
    bound: i64,
    /// The request handed out and not answered yet: (seq, deadline), and the request itself.
    io: Option<(u32, i64)>,
    request: Option<Request>,
    /// Rows read as free for this claim (in the range asked, free by the read's rule): the only
    /// slots it may try.
    offered: Vec<(u16, Slot)>,
    /// Requests handed out.
    ios: u32,
}

impl Track {
    fn new(what: &'static str, bound: i64) -> Self {
        Track {
            what,
            bound,
            io: None,
            request: None,
            offered: Vec::new(),
            ios: 0,
        }
    }
}

struct Holder {
    uid: u32,
    machine: LeaseMachine,
    gen: Generator<ManualClock>,
    clock: ManualClock,
    /// The clock reads `START + t + offset + t * ppm / 10^6` at simulated ms `t`.
    offset: i64,
    ppm: i64,
    paused_until: i64,
    closing: bool,
    /// Renews with `keep` (else with `renew`, and claims itself after `Lost`).
    keeps: bool,
    /// Only the latest `Wake` counts.
    token: u64,
    op: Option<Track>,
    /// Every value this holder's compare-and-swaps asked to write: a claim may also start from
    /// one of these (re-adopting a claim of unknown outcome), and releases and renewals only do.
    written: HashSet<Key>,
}

/// A window a holder adopted: it may have minted any ms in `lo..=hi` with `gid`.
struct Window {
    gid: u16,
    lo: i64,
    hi: i64,
    uid: u32,
}

struct Sim {
    rng: Rng,
    t: i64,
    order: u64,
    queue: BinaryHeap<Queued>,
    slots: Vec<Slot>,
    /// Generator ids a claimer may find free, ascending (the others are a foreign holder's).
    usable: Vec<u16>,
    outage_until: i64,
    /// Holders whose next read finds nothing (after a read that returned only junk).
    hiding: Vec<u32>,
    holders: Vec<Holder>,
    next_uid: u32,
    timeout_ms: i64,
    /// Per mille: requests lost, replies lost, latencies over a second, junk rows.
    loss: u64,
    reply_loss: u64,
    slow: u64,
    junk: u64,
    chaos_every_ms: i64,
    ids: HashSet<u64>,
    pairs: HashMap<(u16, i64), u32>,
    windows: Vec<Window>,
    /// Per generator id: the highest `hi` of its windows; the slot's reservation may never be lower.
    fence: Vec<i64>,
    counts: Counts,
    /// Past RUN_MS: no more chaos, loss, slow replies, junk rows or outages (the store recovered).
    calm: bool,
    /// Past RUN_MS + DRAIN_MS: every holder closes, none spawns.
    winding_down: bool,
    /// Which holder wrote each token.
    writer: HashMap<u128, u32>,
    /// Tokens some holder adopted a lease with.
    adopted: HashSet<u128>,
    /// Values some compare-and-swap found absent from their slot, and those that landed afterwards
    /// (a request slower than the compare sent after it gave up on it: nobody can release a write
    /// that has not landed yet; it frees itself a lease after it was made), or landed by a second
    /// delivery (whose twin then answered that the slot held something else).
    absent: HashSet<Key>,
    late: HashSet<Key>,
}

impl Sim {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed);
        let population = rng.range(8, 40) as usize;
        let level = rng.range(0, 3) as u64; // 0: a calm network ... 3: a bad one
        let foreign = Slot {
            last_updated_ms: 2 * START,
            reserved_until_ms: 2 * START,
            holder: 7,
        };
        let mut slots = vec![Slot::default(); GENERATOR_ID_COUNT];
        let usable: Vec<u16> = if rng.chance(500) {
            let mut ids: Vec<u16> = (0..GENERATOR_ID_COUNT as u16).collect();
            for i in (1..ids.len()).rev() {
                ids.swap(i, rng.range(0, i as i64) as usize);
            }
            ids.truncate(population + rng.range(2, 10) as usize);
            ids.sort_unstable();
            slots.iter_mut().for_each(|s| *s = foreign);
            ids.iter()
                .for_each(|&g| slots[g as usize] = Slot::default());
            ids
        } else {
            (0..GENERATOR_ID_COUNT as u16).collect()
        };
        let mut sim = Sim {
            t: 0,
            order: 0,
            queue: BinaryHeap::new(),
            slots,
            usable,
            outage_until: 0,
            hiding: Vec::new(),
            holders: Vec::new(),
            next_uid: 0,
            timeout_ms: rng.range(300, 4_000),
            loss: level * 12,
            reply_loss: level * 12,
            slow: level * 12,
            junk: 50,
            chaos_every_ms: rng.range(300, 2_000),
            ids: HashSet::new(),
            pairs: HashMap::new(),
            windows: Vec::new(),
            fence: vec![i64::MIN; GENERATOR_ID_COUNT],
            counts: [0; NAMES.len()],
            calm: false,
            winding_down: false,
            writer: HashMap::new(),
            adopted: HashSet::new(),
            absent: HashSet::new(),
            late: HashSet::new(),
            rng,
        };
        for _ in 0..population {
            let at = sim.rng.range(0, 500);
            sim.push(at, Ev::Spawn);
        }
        let at = sim.chaos_every_ms;
        sim.push(at, Ev::Chaos);
        sim
    }

    fn push(&mut self, at: i64, ev: Ev) {
        self.order += 1;
        self.queue.push(Queued(at, self.order, ev));
    }

    fn count(&mut self, c: C) {
        self.counts[c as usize] += 1;
    }

    fn run(mut self) -> Counts {
        while let Some(Queued(t, _, ev)) = self.queue.pop() {
            if t > RUN_MS + END_MS {
                break;
            }
            if t > RUN_MS && !self.calm {
                // The store recovers: the network turns calm (what is in flight still arrives).
                self.calm = true;
                (self.loss, self.reply_loss, self.slow, self.junk) = (0, 0, 0, 0);
                self.outage_until = 0;
            }
            if t > RUN_MS + DRAIN_MS && !self.winding_down {
                // Everything sent before the calm has arrived: every holder closes.
                self.winding_down = true;
                self.t = t;
                for uid in self.holders.iter().map(|h| h.uid).collect::<Vec<_>>() {
                    let Some(i) = self.holders.iter().position(|h| h.uid == uid) else {
                        continue;
                    };
                    let h = &mut self.holders[i];
                    if !h.closing && h.paused_until <= t {
                        self.close(i);
                    }
                }
            }
            self.t = t;
            self.handle(ev);
        }
        assert!(self.winding_down, "the run ended before the wind-down");
        let (tried, minted) = (
            self.counts[C::Attempts as usize],
            self.counts[C::Minted as usize],
        );
        // The worst seeds mint about 40% (outages, pauses, clocks stepped back past the tolerance).
        assert!(
            minted * 100 >= tried * 25 && minted >= 1_000,
            "progress: only {minted} of {tried} ids minted"
        );
        self.counts
    }

    /// When holder `uid`'s release ended `Released` (its clock reading `now`): a slot still taken
    /// by the free rule (written within a lease of `now`) with the token of a claim of `uid` never
    /// adopted (its outcome was unknown) is an id leaked past a failed claim, held for nothing until
    /// its lease runs out; unless its write landed after a compare had found it absent, or by a
    /// second delivery. (A lease's own writes can still outlive it, as before: a renewal forgotten
    /// past MAX_UNKNOWN_WRITES in a long outage reads as a loss later, never a shared id.)
    fn check_leaks(&mut self, uid: u32, now: i64) {
        for (g, slot) in self.slots.iter().enumerate() {
            let leaked = self.writer.get(&slot.holder) == Some(&uid)
                && !self.adopted.contains(&slot.holder)
                && slot.last_updated_ms >= now - LEASE_MS
                && !self.late.contains(&key(g as u16, *slot));
            assert!(
                !leaked,
                "generator id {g} still holds {slot:?} at {now}, a claim of unknown outcome by holder {uid}, whose release ended Released: a leaked id"
            );
        }
        self.count(C::LeakChecks);
    }

    fn handle(&mut self, ev: Ev) {
        let uid = match ev {
            Ev::Arrive {
                uid,
                seq,
                request,
                reply_lost,
                again,
            } => return self.arrive(uid, seq, request, reply_lost, again),
            Ev::Chaos => return self.chaos(),
            Ev::Spawn => return self.spawn(),
            Ev::Reply { uid, .. } | Ev::Wake { uid, .. } | Ev::Mint { uid } => uid,
        };
        let Some(i) = self.holders.iter().position(|h| h.uid == uid) else {
            return; // killed or closed: nothing reaches it any more
        };
        if self.holders[i].paused_until > self.t {
            let at = self.holders[i].paused_until;
            return self.push(at, ev); // stopped: it sees its events when it continues
        }
        match ev {
            Ev::Reply { seq, answer, .. } => self.reply(i, seq, answer),
            Ev::Wake { token, .. } if token == self.holders[i].token => self.wake(i),
            Ev::Mint { .. } => self.mint(i),
            _ => {}
        }
    }

    /// Holder `i`'s clock now.
    fn now(&self, i: usize) -> i64 {
        let h = &self.holders[i];
        START + self.t + h.offset + self.t * h.ppm / 1_000_000
    }

    /// Wakes holder `i` when its clock reads `at` (or a little earlier: it polls again).
    fn wake_at(&mut self, i: usize, at: i64) {
        let ahead = (at - self.now(i)).max(1);
        let h = &mut self.holders[i];
        h.token += 1;
        let ev = Ev::Wake {
            uid: h.uid,
            token: h.token,
        };
        let dt = (ahead * 1_000_000 / (1_000_000 + h.ppm)).max(1);
        self.push(self.t + dt, ev);
    }

    fn latency(&mut self) -> i64 {
        if self.rng.chance(self.slow) {
            self.rng.range(1_000, 8_000)
        } else if self.rng.chance(100) {
            self.rng.range(30, 1_000)
        } else {
            self.rng.range(1, 30)
        }
    }

    fn spawn(&mut self) {
        if self.winding_down {
            return;
        }
        let uid = self.next_uid;
        self.next_uid += 1;
        let cfg = MachineConfig {
            schema_group: "sim".into(),
            terms: LeaseTerms::from_probe_seconds(PROBE_S),
            max_claim_retries: 3,
            min_retry_ms: 20,
            max_retry_ms: 200,
            store_timeout_ms: self.timeout_ms,
            order: ClaimOrder::Spread,
            release_free_at_once: false,
        };
        let clock = ManualClock::new(0);
        let ppm = if self.rng.chance(400) {
            0
        } else {
            self.rng.range(-20_000, 20_000)
        };
        self.holders.push(Holder {
            uid,
            machine: LeaseMachine::new(cfg, [self.rng.next(), self.rng.next()]),
            gen: Generator::new(clock.clone(), Settings::default()),
            clock,
            offset: self.rng.range(-5_000, 5_000),
            ppm,
            paused_until: 0,
            closing: false,
            keeps: self.rng.chance(700),
            token: 0,
            op: None,
            written: HashSet::new(),
        });
        self.push(self.t, Ev::Wake { uid, token: 0 });
        let at = self.t + self.rng.range(0, 100);
        self.push(at, Ev::Mint { uid });
    }

    fn chaos(&mut self) {
        if self.calm {
            return;
        }
        let at = self.t + self.rng.range(1, 2 * self.chaos_every_ms);
        self.push(at, Ev::Chaos);
        if self.holders.is_empty() {
            return;
        }
        let i = self.rng.range(0, self.holders.len() as i64 - 1) as usize;
        if self.holders[i].closing {
            return;
        }
        match self.rng.range(0, 9) {
            0 | 1 => {
                self.count(C::Pauses);
                self.holders[i].paused_until = self.t + LEASE_MS + self.rng.range(1, 3_000);
            }
            2 => {
                self.count(C::Kills);
                self.holders.remove(i);
                let at = self.t + self.rng.range(1, 500);
                self.push(at, Ev::Spawn);
            }
            3 | 4 if self.holders[i].paused_until <= self.t => self.close(i), // a stopped one cannot
            3 | 4 => {}
            5 | 6 => {
                self.count(C::ClockSteps);
                let step = if self.rng.chance(100) {
                    30_000
                } else {
                    self.rng.range(1, 5_000)
                };
                let step = if self.rng.chance(600) { -step } else { step };
                self.holders[i].offset += step;
            }
            7 => {
                if self.outage_until < self.t {
                    self.outage_until = self.t + self.rng.range(200, 2_500);
                }
            }
            _ => self.holders[i].ppm = self.rng.range(-20_000, 20_000),
        }
    }

    /// The store performs a request (unless it is down) and maybe answers.
    fn arrive(&mut self, uid: u32, seq: u32, request: Request, reply_lost: bool, again: bool) {
        let down = self.outage_until > self.t;
        let mut answer = if down && !self.rng.chance(200) {
            Answer::Failed { contention: false }
        } else {
            match request {
                Request::ReadFree {
                    from,
                    to,
                    limit,
                    free_before_ms,
                } => Answer::Rows(self.read_free(uid, from, to, limit, free_before_ms)),
                Request::CompareAndSwap {
                    generator_id,
                    expected,
                    next,
                } => {
                    Answer::Swapped(self.compare_and_swap(uid, generator_id, expected, next, again))
                }
            }
        };
        if down {
            if !matches!(answer, Answer::Failed { .. }) {
                self.count(C::FailedAfterApply);
            }
            answer = Answer::Failed {
                contention: self.rng.chance(300),
            };
        }
        if again {
            return;
        }
        if reply_lost {
            return self.count(C::LostReplies);
        }
        if self.rng.chance(self.loss) {
            self.count(C::Duplicated);
            let at = self.t + self.latency();
            self.push(
                at,
                Ev::Reply {
                    uid,
                    seq,
                    answer: answer.clone(),
                },
            );
        }
        let at = self.t + self.latency();
        self.push(at, Ev::Reply { uid, seq, answer });
    }

    fn read_free(
        &mut self,
        uid: u32,
        from: u16,
        to: u16,
        limit: u16,
        free_before: i64,
    ) -> Vec<(i64, Option<Slot>)> {
        if let Some(k) = self.hiding.iter().position(|&u| u == uid) {
            self.hiding.swap_remove(k);
            return Vec::new();
        }
        let first = self.usable.partition_point(|&g| g < from);
        let mut rows: Vec<(i64, Option<Slot>)> = Vec::new();
        for &g in &self.usable[first..] {
            if g >= to || rows.len() >= limit as usize {
                break;
            }
            let slot = self.slots[g as usize];
            if slot.last_updated_ms < free_before {
                rows.push((g as i64, Some(slot)));
            }
        }
        if self.rng.chance(self.junk) {
            // Rows a careless store could return; the machine must drop every one of them.
            self.count(C::JunkRows);
            let taken = self.usable[first..]
                .iter()
                .map(|&g| g as usize)
                .filter(|&g| g < to as usize)
                .find(|&g| self.slots[g].last_updated_ms >= free_before);
            let junk = match self.rng.range(0, 3) {
                0 => rows.first().copied(),
                1 if from > 0 => Some((from as i64 - 1, Some(self.slots[from as usize - 1]))),
                1 if (to as usize) < GENERATOR_ID_COUNT => {
                    Some((to as i64, Some(self.slots[to as usize])))
                }
                1 => Some((-1, Some(Slot::default()))),
                2 => taken.map(|g| (g as i64, Some(self.slots[g]))),
                _ => Some((from as i64, None)),
            };
            if let Some(row) = junk {
                if self.rng.chance(500) {
                    // Nothing else, now and in the claim's next read: the machine must not try it.
                    rows.clear();
                    self.hiding.push(uid);
                }
                let at = self.rng.range(0, rows.len() as i64) as usize;
                rows.insert(at, row);
            }
        }
        rows
    }

    fn compare_and_swap(
        &mut self,
        uid: u32,
        g: u16,
        expected: Slot,
        next: Slot,
        again: bool,
    ) -> bool {
        let slot = &mut self.slots[g as usize];
        if *slot != expected {
            self.absent.insert(key(g, expected));
            return false;
        }
        assert!(
            next.reserved_until_ms >= self.fence[g as usize],
            "a write by holder {uid} moved generator id {g}'s reservation to {} below the window end {} a holder adopted",
            next.reserved_until_ms, self.fence[g as usize],
        );
        *slot = next;
        if again || self.absent.contains(&key(g, next)) {
            self.late.insert(key(g, next));
        }
        let ours = self.writer.get(&expected.holder) == Some(&uid);
        if next.holder == 0 && ours && !self.adopted.contains(&expected.holder) {
            self.count(C::FreedUnknown);
        } else if next.holder != 0 && next.holder != expected.holder && ours {
            self.count(C::Readopted);
        }
        true
    }

    fn send(&mut self, uid: u32, seq: u32, request: Request) {
        if self.rng.chance(self.loss) {
            return self.count(C::LostRequests);
        }
        let reply_lost = self.rng.chance(self.reply_loss);
        let at = self.t + self.latency();
        self.push(
            at,
            Ev::Arrive {
                uid,
                seq,
                request,
                reply_lost,
                again: false,
            },
        );
        if self.rng.chance(self.loss) {
            // Delivered twice (a transport's retry): applied again later, that answer lost.
            self.count(C::Duplicated);
            let at = self.t + self.latency() + self.latency();
            self.push(
                at,
                Ev::Arrive {
                    uid,
                    seq,
                    request,
                    reply_lost,
                    again: true,
                },
            );
        }
    }

    fn reply(&mut self, i: usize, seq: u32, answer: Answer) {
        let now = self.now(i);
        let h = &mut self.holders[i];
        let in_flight = h.op.as_ref().and_then(|o| o.io).map(|(s, _)| s) == Some(seq);
        let accepted = match &answer {
            Answer::Rows(rows) => h.machine.handle_rows(seq, now, rows),
            Answer::Swapped(swapped) => h.machine.handle_swap(seq, now, *swapped),
            Answer::Failed { contention } => h.machine.handle_failure(seq, now, *contention),
        };
        assert_eq!(
            accepted,
            in_flight,
            "holder {}: answer {answer:?} to request {seq} (in flight: {:?})",
            h.uid,
            h.op.as_ref().map(|o| o.io)
        );
        if !accepted {
            return self.count(C::LateAnswers);
        }
        let op = h.op.as_mut().expect("in flight");
        op.io = None;
        if let (
            Answer::Rows(rows),
            Some(Request::ReadFree {
                from,
                to,
                free_before_ms,
                ..
            }),
        ) = (&answer, op.request)
        {
            let free = rows
                .iter()
                .filter_map(|&(g, s)| Some((u16::try_from(g).ok()?, s?)));
            op.offered.extend(
                free.filter(|(g, s)| (from..to).contains(g) && s.last_updated_ms < free_before_ms),
            );
        }
        self.drive(i);
    }

    fn wake(&mut self, i: usize) {
        let now = self.now(i);
        let h = &mut self.holders[i];
        if !h.machine.busy() {
            let what = match h.machine.renewal_due() {
                Some(due) if due > now => return self.wake_at(i, due),
                Some(_) => "renewal",
                None => "claim",
            };
            match (h.keeps, what) {
                (true, _) => h.machine.keep(now),
                (false, "renewal") => h.machine.renew(now),
                (false, _) => h.machine.claim(now),
            }
            h.op = Some(Track::new(what, now + self.timeout_ms));
        }
        self.drive(i);
    }

    /// Polls holder `i`'s machine until it waits for something, checking every step.
    fn drive(&mut self, i: usize) {
        loop {
            let now = self.now(i);
            let h = &mut self.holders[i];
            let step = h.machine.poll(now);
            let uid = h.uid;
            let io = h.op.as_ref().and_then(|o| o.io);
            if let Some((seq, deadline)) = io {
                assert!(
                    now < deadline || matches!(step, Step::Done(Outcome::Failed(Error::StoreTimeout { .. }))),
                    "holder {uid} polled at {now}, past request {seq}'s deadline {deadline}: {step:?}"
                );
            }
            if let Some(op) = &h.op {
                assert!(
                    now < op.bound || matches!(step, Step::Done(_)),
                    "holder {uid}'s {} polled at {now}, past its timeout ({}): {step:?}",
                    op.what,
                    op.bound
                );
            }
            match step {
                Step::Idle => {
                    return assert!(h.op.is_none(), "holder {uid}: Idle while an operation runs")
                }
                Step::Io {
                    seq,
                    request,
                    deadline_ms,
                } => {
                    let op = h.op.as_mut().expect("an Io step with no operation");
                    assert!(op.io.is_none(), "holder {uid}: a second request in flight");
                    assert!(
                        now < deadline_ms && deadline_ms <= op.bound,
                        "holder {uid}'s {} at {now}: deadline {deadline_ms} (bound {})",
                        op.what,
                        op.bound
                    );
                    op.io = Some((seq, deadline_ms));
                    op.request = Some(request);
                    op.ios += 1;
                    if let Request::CompareAndSwap {
                        generator_id,
                        expected,
                        next,
                    } = request
                    {
                        let claim = next.holder != expected.holder && next.holder != 0;
                        let own = h.written.contains(&key(generator_id, expected));
                        let offered = op.offered.contains(&(generator_id, expected));
                        assert!(!claim || own || offered, "holder {uid} claims generator id {generator_id} from {expected:?}, never read as free nor written by it");
                        assert!(claim || own, "holder {uid} renews or releases generator id {generator_id} from {expected:?}, which it never wrote");
                        if claim && !offered {
                            assert!(
                                h.machine.unknown_claims().any(|c| c == (generator_id, expected)),
                                "holder {uid} re-adopts generator id {generator_id} from {expected:?}, not a claim of unknown outcome"
                            );
                        }
                        h.written.insert(key(generator_id, next));
                        if next.holder != 0 {
                            self.writer.insert(next.holder, uid);
                        }
                    }
                    self.send(uid, seq, request);
                    return self.wake_at(i, deadline_ms);
                }
                Step::Pending { deadline_ms } => {
                    assert_eq!(
                        io.map(|(_, d)| d),
                        Some(deadline_ms),
                        "holder {uid}: Pending for no request"
                    );
                    return self.wake_at(i, deadline_ms);
                }
                Step::Wait { until_ms } => {
                    let op = h.op.as_ref().expect("a Wait with no operation");
                    assert!(
                        io.is_none() && now < until_ms && until_ms <= op.bound,
                        "holder {uid}: Wait until {until_ms} at {now} (bound {})",
                        op.bound
                    );
                    return self.wake_at(i, until_ms);
                }
                Step::Revoke => {
                    let op = h.op.as_mut().expect("a Revoke with no operation");
                    assert!(
                        op.what == "renewal" && io.is_none(),
                        "holder {uid}: Revoke during a {}",
                        op.what
                    );
                    *op = Track::new("claim after a loss", now + self.timeout_ms);
                    h.gen.revoke_lease();
                    self.count(C::Revokes);
                }
                Step::Done(outcome) => return self.done(i, now, outcome),
            }
        }
    }

    fn done(&mut self, i: usize, now: i64, outcome: Outcome) {
        let h = &mut self.holders[i];
        let op = h.op.take().expect("Done with no operation");
        let uid = h.uid;
        let released = matches!(outcome, Outcome::Released);
        match outcome {
            Outcome::Leased(lease) => {
                assert!(
                    op.what != "release" && h.machine.lease() == Some(lease),
                    "holder {uid}: {} ended {lease:?}",
                    op.what
                );
                let due = h.machine.renewal_due().expect("leased");
                assert!(op.ios > 0 || due > now, "holder {uid}: a renewal with nothing to write leaves the next one due at {due} (now {now}): a driver renewing when due would spin");
                self.count(if op.what == "renewal" {
                    C::Renewals
                } else {
                    C::Claims
                });
                self.adopt(i, lease);
            }
            Outcome::Released => assert_eq!(op.what, "release", "holder {uid}"),
            Outcome::Lost => {
                assert!(
                    !h.keeps && op.what == "renewal",
                    "holder {uid}: a {} ended Lost (`keep` revokes and claims instead)",
                    op.what
                );
                h.gen.revoke_lease();
                self.count(C::Revokes);
            }
            Outcome::Failed(Error::StoreTimeout { .. }) => self.count(C::Timeouts),
            Outcome::Failed(e) => {
                let codes: &[&str] = if op.what.starts_with("claim") {
                    &["DATABASE_ERROR", "GENERATOR_IDS_EXHAUSTED"]
                } else {
                    &["DATABASE_ERROR"]
                };
                assert!(
                    codes.contains(&e.code()),
                    "holder {uid}'s {}: {e:?}",
                    op.what
                );
                self.count(C::StoreErrors);
            }
        }
        if self.holders[i].closing {
            if released {
                self.check_leaks(uid, now);
            }
            self.count(C::Releases);
            self.holders.remove(i);
            let at = self.t + self.rng.range(1, 500);
            return self.push(at, Ev::Spawn);
        }
        // Next: the renewal when due; after a failure (or a renewal with nothing to write), a pause.
        let next = match self.holders[i].machine.renewal_due() {
            Some(due) if due > now => due,
            _ => now + self.rng.range(20, 300),
        };
        self.wake_at(i, next);
    }

    fn adopt(&mut self, i: usize, lease: Lease) {
        let h = &mut self.holders[i];
        h.gen.adopt_lease(lease);
        self.adopted.insert(h.machine.holder());
        let (uid, gid, lo, hi) = (
            h.uid,
            lease.generator_id,
            lease.window_start_unix_ms,
            lease.window_end_unix_ms,
        );
        assert!(lo <= hi, "holder {uid}: an empty window {lease:?}");
        let mut handed_over = false;
        for w in self.windows.iter().filter(|w| w.gid == gid && w.uid != uid) {
            handed_over = true;
            assert!(
                w.hi < lo || hi < w.lo,
                "holder {uid} adopted {lease:?}, overlapping {}..={} adopted by holder {}",
                w.lo,
                w.hi,
                w.uid
            );
        }
        match self
            .windows
            .iter_mut()
            .find(|w| w.uid == uid && w.gid == gid && w.lo == lo)
        {
            Some(w) => w.hi = w.hi.max(hi), // a renewal
            None => {
                self.windows.push(Window { gid, lo, hi, uid });
                if handed_over {
                    self.count(C::HandOvers);
                }
            }
        }
        let g = gid as usize;
        self.fence[g] = self.fence[g].max(hi);
        assert!(
            self.slots[g].reserved_until_ms >= hi,
            "holder {uid} adopted {lease:?}, but the store reserves {:?}",
            self.slots[g]
        );
    }

    fn mint(&mut self, i: usize) {
        let at = self.t + self.rng.range(5, 200);
        let now = self.now(i);
        let burst = self.rng.range(1, 6);
        let uid = self.holders[i].uid;
        self.push(at, Ev::Mint { uid });
        let h = &mut self.holders[i];
        if h.closing {
            return;
        }
        assert_eq!(
            h.gen.lease().copied(),
            h.machine.lease(),
            "holder {}: generator and machine disagree",
            h.uid
        );
        if !h.machine.busy() && h.machine.lease().is_some() && self.rng.chance(20) {
            // The application renews before it is due (a no-op in the same ms as the last write).
            h.machine.keep(now);
            h.op = Some(Track::new("renewal", now + self.timeout_ms));
            self.count(C::EarlyRenewals);
            self.drive(i);
        }
        let h = &mut self.holders[i];
        h.clock.set(now);
        let mut ids = Vec::new();
        for _ in 0..burst {
            self.counts[C::Attempts as usize] += 1;
            match h.gen.next_id() {
                Ok(id) => ids.push(id),
                Err(e) => assert!(
                    matches!(e.code(), "LEASE_EXPIRED" | "CLOCK_MOVED_BACKWARDS"),
                    "holder {}: {e:?}",
                    h.uid
                ),
            }
        }
        let lease = h.gen.lease().copied();
        for id in ids {
            self.count(C::Minted);
            let p = GuidParts::from_guid(id);
            let ms = p.ms_since_epoch as i64 + DEFAULT_EPOCH_UNIX_MS;
            let lease = lease.expect("minted without a lease");
            assert!(
                p.generator_id == lease.generator_id
                    && (lease.window_start_unix_ms..=lease.window_end_unix_ms).contains(&ms),
                "holder {uid} minted {p:?} outside {lease:?}"
            );
            assert!(self.ids.insert(id), "holder {uid} minted {p:?} again");
            if let Some(other) = self.pairs.insert((p.generator_id, ms), uid) {
                assert_eq!(
                    other, uid,
                    "holders {other} and {uid} both minted with generator id {} at ms {ms}",
                    p.generator_id
                );
            }
        }
    }

    /// Closes holder `i`: it stops minting, then releases up to the last ms it minted.
    fn close(&mut self, i: usize) {
        let now = self.now(i);
        let h = &mut self.holders[i];
        h.closing = true;
        h.gen.revoke_lease();
        let last = h.gen.last_issued_unix_ms();
        if let Some(l) = h.machine.lease() {
            let uid = h.uid;
            let (g, lo) = (l.generator_id, l.window_start_unix_ms);
            for w in self
                .windows
                .iter_mut()
                .filter(|w| w.uid == uid && w.gid == g && w.lo == lo)
            {
                w.hi = w.hi.min(last.unwrap_or(lo - 1).max(lo - 1));
            }
            let fence = self
                .windows
                .iter()
                .filter(|w| w.gid == g)
                .map(|w| w.hi)
                .max();
            self.fence[g as usize] = fence.unwrap_or(i64::MIN);
        }
        h.machine.release(now, last);
        h.op = Some(Track::new("release", now + self.timeout_ms));
        self.drive(i);
    }
}

fn seeds() -> Vec<u64> {
    if let Ok(s) = std::env::var("SIM_SEED") {
        return vec![s.parse().expect("SIM_SEED must be a number")];
    }
    let n = std::env::var("SIM_SEEDS")
        .ok()
        .map_or(300, |s| s.parse().expect("SIM_SEEDS must be a number"));
    (1..=n).collect()
}

#[test]
fn leases_stay_exclusive_and_deadlines_hold_under_a_hostile_network() {
    let seeds = seeds();
    let started = std::time::Instant::now();
    let mut total: Counts = [0; NAMES.len()];
    for &seed in &seeds {
        let counts = std::panic::catch_unwind(|| Sim::new(seed).run()).unwrap_or_else(|e| {
            let why = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("seed {seed} failed: {}\nreplay: SIM_SEED={seed} cargo test --test simulation -- --nocapture", why.unwrap_or_default())
        });
        total.iter_mut().zip(counts).for_each(|(t, c)| *t += c);
    }
    println!("{} seeds in {:.1?}:", seeds.len(), started.elapsed());
    for (name, n) in NAMES.iter().zip(total) {
        println!("  {name}: {n}");
    }
    if seeds.len() >= 50 {
        for (name, n) in NAMES.iter().zip(total) {
            assert!(n > 0, "the simulation never produced any {name}");
        }
    }
}
