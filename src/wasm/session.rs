//! The `CoreSession` class JS sees: a core [`crate::LeaseMachine`], translated (js/lease/session.js
//! wraps it as the public `LeaseSession`; another name, so that no bundle holds two classes of one
//! name and renames one, `name` and all). The JS driver (js/lease/session.js) performs the store
//! requests it hands out. Steps and rows cross through one scratch array of f64 in wasm memory
//! (`scratch`), read and written by the driver with a Float64Array: every value arrives as a number
//! the driver already read, so no user code runs while the machine is borrowed, and the binding
//! stays a few small functions (wasm bytes). Holder tokens cross as four u32 words
//! (js/lease/session.js writes them as the stores' text).

use alloc::{boxed::Box, vec::Vec};
use wasm_bindgen::prelude::*;

use super::fail;
use crate::settings::{
    Setting, LIVELINESS_PROBE_S, MAX_CLAIM_RETRIES, MAX_CLOCK_SKEW_MS,
    MAX_MS_BETWEEN_CLAIM_RETRIES, MIN_MS_BETWEEN_CLAIM_RETRIES, STORE_TIMEOUT_MS,
};
use crate::{
    ClaimOrder, Error, LeaseMachine, LeaseTerms, MachineConfig, Outcome, Request, Slot, Step,
};

/// Scratch size: 16 rows of 7 numbers, or one step.
const SCRATCH: usize = 7 * crate::settings::CLAIM_CANDIDATES as usize;

/// A setting handed in as a Number (NaN: absent, the default), checked against the table.
fn setting(v: f64, s: &Setting, min: i64) -> Result<i64, Error> {
    if v.is_nan() {
        return s.check_within(None, min);
    }
    let Some(n) = int(v) else {
        return Err(Error::InvalidType {
            what: s.name.into(),
            expected: "an integer number",
            got: "a number with a fraction, or out of range".into(),
        });
    };
    s.check_within(Some(n), min)
}

/// Checks a group's settings and a session's timeout against the settings table (NaN: the
/// default) and returns `[probeS, maxClaimRetries, minMs, maxMs, storeTimeoutMs]`, or an empty
/// array with the error kept (js/core.js). The driver hands in Numbers only (js/lease/session.js
/// checks the types).
#[wasm_bindgen(js_name = checkSettings)]
pub fn check_settings(
    probe_s: f64,
    retries: f64,
    min_ms: f64,
    max_ms: f64,
    timeout: f64,
) -> Vec<f64> {
    let checked = (|| -> Result<Vec<f64>, Error> {
        let lo = setting(
            min_ms,
            &MIN_MS_BETWEEN_CLAIM_RETRIES,
            MIN_MS_BETWEEN_CLAIM_RETRIES.min,
        )?;
        Ok(alloc::vec![
            setting(probe_s, &LIVELINESS_PROBE_S, LIVELINESS_PROBE_S.min)? as f64,
            setting(retries, &MAX_CLAIM_RETRIES, MAX_CLAIM_RETRIES.min)? as f64,
            lo as f64,
            setting(max_ms, &MAX_MS_BETWEEN_CLAIM_RETRIES, lo)? as f64,
            setting(timeout, &STORE_TIMEOUT_MS, STORE_TIMEOUT_MS.min)? as f64,
        ])
    })();
    checked.unwrap_or_else(|e| {
        fail(e);
        Vec::new()
    })
}

/// One holder's lease session. Internal: the JS face is js/lease/session.js.
#[wasm_bindgen(js_name = CoreSession)]
pub struct WasmSession {
    machine: LeaseMachine,
    scratch: Box<[f64; SCRATCH]>,
}

fn words(holder: u128, out: &mut [f64]) {
    for (i, w) in out.iter_mut().enumerate().take(4) {
        *w = ((holder >> (96 - 32 * i)) & 0xFFFF_FFFF) as f64;
    }
}

fn holder_of(w: &[f64]) -> Option<u128> {
    let mut h: u128 = 0;
    for &x in &w[..4] {
        if !(x >= 0.0 && x <= 4_294_967_295.0 && (x as u32) as f64 == x) {
            return None;
        }
        h = (h << 32) | x as u32 as u128;
    }
    Some(h)
}

fn int(n: f64) -> Option<i64> {
    (n.is_finite() && (n as i64) as f64 == n).then_some(n as i64)
}

#[wasm_bindgen(js_class = CoreSession)]
impl WasmSession {
    /// A session on a shared store (spread claims, backdated releases). `settings` is
    /// `checkSettings`' array; `seed` four random u32 as numbers. The group name (checked by the
    /// store) only names the group in messages.
    #[wasm_bindgen(constructor)]
    pub fn new(
        schema_group: &str,
        settings: &[f64],
        s0: u32,
        s1: u32,
        s2: u32,
        s3: u32,
    ) -> WasmSession {
        let get = |i: usize| settings.get(i).copied().unwrap_or(0.0) as i64;
        let cfg = MachineConfig {
            schema_group: schema_group.into(),
            terms: LeaseTerms::from_probe_seconds(get(0).max(1)),
            max_claim_retries: get(1) as u32,
            min_retry_ms: get(2),
            max_retry_ms: get(3),
            store_timeout_ms: get(4).max(1),
            order: ClaimOrder::Spread,
            release_free_at_once: false,
        };
        let seed = [(s0 as u64) << 32 | s1 as u64, (s2 as u64) << 32 | s3 as u64];
        WasmSession {
            machine: LeaseMachine::new(cfg, seed),
            scratch: Box::new([0.0; SCRATCH]),
        }
    }

    /// Address of the scratch array (SCRATCH f64) in wasm memory.
    #[wasm_bindgen(getter)]
    pub fn scratch(&self) -> u32 {
        self.scratch.as_ptr() as u32
    }

    /// Starts an operation: 0 claim, 1 renew, 2 keep, 3 release (`last_issued` < 0: nothing minted),
    /// 4 grant (`last_issued` is the window in ms, checked by the caller).
    pub fn start(&mut self, op: u32, now: f64, last_issued: f64) {
        let now = now as i64;
        match op {
            0 => self.machine.claim(now),
            1 => self.machine.renew(now),
            2 => self.machine.keep(now),
            4 => self.machine.grant(now, last_issued as i64),
            _ => {
                let last =
                    (last_issued.is_finite() && last_issued >= 0.0).then_some(last_issued as i64);
                self.machine.release(now, last);
            }
        }
    }

    /// The next step's kind (js/lease/session.js names them), its fields in the scratch:
    /// 1 read `[seq, deadline, from, to, limit, freeBefore]`; 2 compare-and-swap `[seq, deadline,
    /// id, expected updated, reserved, 4 holder words, next updated, reserved, 4 holder words]`;
    /// 3 pending / 4 wait `[_, until]`; 5 revoke; 6 leased `[_, _, id, start, end]`; 7 lost;
    /// 8 released; 9 failed (the error kept: js/core.js `coreError`); 0 idle.
    pub fn poll(&mut self, now: f64) -> u32 {
        let s = &mut self.scratch;
        match self.machine.poll(now as i64) {
            Step::Idle => 0,
            Step::Io {
                seq,
                request,
                deadline_ms,
            } => {
                s[0] = seq as f64;
                s[1] = deadline_ms as f64;
                match request {
                    Request::ReadFree {
                        from,
                        to,
                        limit,
                        free_before_ms,
                    } => {
                        s[2] = from as f64;
                        s[3] = to as f64;
                        s[4] = limit as f64;
                        s[5] = free_before_ms as f64;
                        1
                    }
                    Request::CompareAndSwap {
                        generator_id,
                        expected,
                        next,
                    } => {
                        s[2] = generator_id as f64;
                        for (at, slot) in [(3, expected), (9, next)] {
                            s[at] = slot.last_updated_ms as f64;
                            s[at + 1] = slot.reserved_until_ms as f64;
                            words(slot.holder, &mut s[at + 2..at + 6]);
                        }
                        2
                    }
                }
            }
            Step::Pending { deadline_ms } => {
                s[1] = deadline_ms as f64;
                3
            }
            Step::Wait { until_ms } => {
                s[1] = until_ms as f64;
                4
            }
            Step::Revoke => 5,
            Step::Done(Outcome::Leased(l)) => {
                s[2] = l.generator_id as f64;
                s[3] = l.window_start_unix_ms as f64;
                s[4] = l.window_end_unix_ms as f64;
                6
            }
            Step::Done(Outcome::Lost) => 7,
            Step::Done(Outcome::Released) => 8,
            Step::Done(Outcome::Failed(e)) => {
                fail(e);
                9
            }
        }
    }

    /// The store's answer to request `seq`: `answer` 0 rows (`count` rows of `[id, updated,
    /// reserved, 4 holder words]` in the scratch; NaN where the driver found no valid value),
    /// 1 swapped, 2 not swapped, 3 failed, 4 failed with contention, 5 no answer by the deadline
    /// (the driver's timer), 6 a pause is over (`seq` unused). Returns whether `seq` was the
    /// request in flight.
    pub fn handle(&mut self, seq: u32, now: f64, answer: u32, count: u32) -> bool {
        let now = now as i64;
        match answer {
            0 => {
                let mut rows = alloc::vec::Vec::new();
                for r in self.scratch.chunks_exact(7).take(count as usize) {
                    let slot = match (int(r[1]), int(r[2]), holder_of(&r[3..7])) {
                        (Some(u), Some(v), Some(h)) => Some(Slot {
                            last_updated_ms: u,
                            reserved_until_ms: v,
                            holder: h,
                        }),
                        _ => None,
                    };
                    rows.push((int(r[0]).unwrap_or(-1), slot));
                }
                self.machine.handle_rows(seq, now, &rows)
            }
            1 | 2 => self.machine.handle_swap(seq, now, answer == 1),
            3 | 4 => self.machine.handle_failure(seq, now, answer == 4),
            5 => self.machine.handle_timeout(seq, now),
            _ => {
                self.machine.wake(now);
                true
            }
        }
    }

    /// Writes `[generatorId, windowStart, windowEnd, renewalDue]` of the lease held into the
    /// scratch (NaN without one).
    pub fn info(&mut self) {
        let s = &mut self.scratch;
        let l = self.machine.lease();
        s[0] = l.map_or(f64::NAN, |l| l.generator_id as f64);
        s[1] = l.map_or(f64::NAN, |l| l.window_start_unix_ms as f64);
        s[2] = l.map_or(f64::NAN, |l| l.window_end_unix_ms as f64);
        s[3] = self.machine.renewal_due().map_or(f64::NAN, |t| t as f64);
    }

    /// Whether a store clock is close enough to the host's (else false, CLOCK_SKEW kept); `bound`
    /// (NaN: one probe) is checked against the settings table.
    #[wasm_bindgen(js_name = checkClock)]
    pub fn check_clock(
        &self,
        host_before: f64,
        store_now: f64,
        host_after: f64,
        bound: f64,
    ) -> bool {
        let checked = (|| -> Result<(), Error> {
            let bound = if bound.is_nan() {
                self.machine.config().terms.liveliness_probe_ms
            } else {
                setting(bound, &MAX_CLOCK_SKEW_MS, MAX_CLOCK_SKEW_MS.min)?
            };
            let Some(store_now) = int(store_now) else {
                return Err(Error::InvalidClockReading {
                    got: "a store time that is not an integer".into(),
                });
            };
            crate::check_store_clock(host_before as i64, store_now, host_after as i64, bound)
        })();
        checked.map_or_else(fail, |()| true)
    }
}
