//! The circuit breaker: closed → open after `threshold` consecutive failures → half-open after
//! `open_for`, where one probe at a time is let through → closed on success, open on failure.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The state of a transport's circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CircuitState {
    /// Requests go through; consecutive failures are counted.
    Closed,
    /// Requests fail fast with [`TransportError::CircuitOpen`](crate::TransportError), without
    /// I/O, until the open period ends.
    Open,
    /// The open period ended: the next request is a probe (one at a time) whose outcome closes
    /// or re-opens the circuit; the others fail fast meanwhile.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// How an attempt ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The server answered (any status below 500).
    Success,
    /// A transport failure or a 5xx.
    Failure,
    /// Says nothing about the server's health (e.g. a request that could not be built).
    Neutral,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    /// `0`: disabled.
    threshold: u32,
    open_for: Duration,
    state: Mutex<State>,
}

/// The right to make one attempt; reports its outcome (neutral when dropped unreported, e.g.
/// when the caller's future is cancelled, so that a cancelled probe frees the slot).
pub(crate) struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, open_for: Duration) -> Breaker {
        Breaker {
            threshold,
            open_for,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while it was held.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn state(&self) -> CircuitState {
        match *self.lock() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until } if Instant::now() < until => CircuitState::Open,
            State::Open { .. } | State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// A permit, or how long until the circuit may let a request through.
    pub(crate) fn acquire(&self) -> Result<Permit<'_>, Duration> {
        let permit = |probe| Permit {
            breaker: self,
            probe,
            reported: false,
        };
        if self.threshold == 0 {
            return Ok(permit(false));
        }
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(permit(false)),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    Err(until - now)
                } else {
                    *state = State::HalfOpen { probing: true };
                    Ok(permit(true))
                }
            }
            State::HalfOpen { probing: true } => Err(Duration::ZERO),
            State::HalfOpen { probing: false } => {
                *state = State::HalfOpen { probing: true };
                Ok(permit(true))
            }
        }
    }

    fn record(&self, probe: bool, outcome: Outcome) {
        if self.threshold == 0 {
            return;
        }
        let mut state = self.lock();
        let next = match (&*state, outcome, probe) {
            (_, Outcome::Success, true) | (State::Closed { .. }, Outcome::Success, false) => {
                State::Closed { failures: 0 }
            }
            (_, Outcome::Failure, true) => State::Open {
                until: Instant::now() + self.open_for,
            },
            (State::Closed { failures }, Outcome::Failure, false) => {
                let failures = failures.saturating_add(1);
                if failures >= self.threshold {
                    tracing::warn!(
                        target: "flags",
                        "circuit opened after {failures} consecutive failures; requests fail fast for {} ms",
                        self.open_for.as_millis()
                    );
                    State::Open {
                        until: Instant::now() + self.open_for,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            (_, Outcome::Neutral, true) => State::HalfOpen { probing: false },
            // A request that started before the circuit opened says nothing new, and a neutral
            // outcome changes nothing.
            _ => return,
        };
        *state = next;
    }
}

impl Permit<'_> {
    pub(crate) fn report(mut self, outcome: Outcome) {
        self.reported = true;
        self.breaker.record(self.probe, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.record(self.probe, Outcome::Neutral);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_only() {
        let breaker = Breaker::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            breaker.acquire().unwrap().report(Outcome::Failure);
        }
        breaker.acquire().unwrap().report(Outcome::Success);
        for _ in 0..2 {
            breaker.acquire().unwrap().report(Outcome::Failure);
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
        breaker.acquire().unwrap().report(Outcome::Failure);
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(breaker.acquire().is_err());
    }

    #[test]
    fn half_open_lets_one_probe_and_a_cancelled_probe_frees_the_slot() {
        let breaker = Breaker::new(1, Duration::ZERO);
        breaker.acquire().unwrap().report(Outcome::Failure);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        let probe = breaker.acquire().unwrap();
        assert_eq!(breaker.acquire().err(), Some(Duration::ZERO));
        drop(probe);
        let probe = breaker.acquire().unwrap();
        assert!(breaker.acquire().is_err());
        probe.report(Outcome::Failure);
        let probe = breaker.acquire().unwrap();
        probe.report(Outcome::Success);
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn disabled_breaker_never_opens() {
        let breaker = Breaker::new(0, Duration::from_secs(60));
        for _ in 0..100 {
            breaker.acquire().unwrap().report(Outcome::Failure);
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
    }
}
