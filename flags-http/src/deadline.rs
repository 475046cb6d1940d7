//! [`Deadline`]: when a call (or several calls making one operation) must have answered.

use std::time::{Duration, Instant};

/// The instant by which an operation must have its answer, and the time it was given (which
/// messages name: "no answer within the deadline of 1000 ms"). Several calls of one operation
/// (the flags of one struct, say) share one, through [`Transport::send_until`](crate::Transport::send_until).
///
/// ```
/// use std::time::Duration;
/// use flags_http::Deadline;
///
/// let deadline = Deadline::after(Duration::from_secs(2));
/// assert_eq!(deadline.budget(), Duration::from_secs(2));
/// assert!(deadline.remaining() <= Duration::from_secs(2));
/// assert!(!deadline.has_passed());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now (a budget beyond what the clock can represent is cut to 24 hours).
    pub fn after(budget: Duration) -> Deadline {
        let now = Instant::now();
        match now.checked_add(budget) {
            Some(at) => Deadline { at, budget },
            None => {
                let budget = crate::MAX_DEADLINE;
                Deadline {
                    at: now + budget,
                    budget,
                }
            }
        }
    }

    /// The instant.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The time it was given when made.
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn has_passed(&self) -> bool {
        Instant::now() >= self.at
    }
}
