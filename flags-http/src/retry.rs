//! Backoff with full jitter and the `Retry-After` parser (delta-seconds, IMF-fixdate, and
//! RFC 3339 leniently), without a date crate or an RNG crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::date;

/// The longest wait between two attempts, whatever the configuration or the server says.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (0 for the first retry): a random duration in
/// `[0, min(MAX_DELAY, base · 2^retry)]` ("full jitter").
///
/// ```
/// use std::time::Duration;
/// use flags_http::backoff;
///
/// assert!(backoff(Duration::from_millis(250), 2) <= Duration::from_secs(1));
/// ```
pub fn backoff(base: Duration, retry: u32) -> Duration {
    let ceiling = base
        .checked_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    match nanos.checked_add(1) {
        Some(span) => Duration::from_nanos(random() % span),
        None => ceiling,
    }
}

/// A random duration in `[0, max]`.
///
/// ```
/// use std::time::Duration;
///
/// assert!(flags_http::jitter(Duration::from_millis(5)) <= Duration::from_millis(5));
/// ```
pub fn jitter(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    match nanos.checked_add(1) {
        Some(span) => Duration::from_nanos(random() % span),
        None => max,
    }
}

/// A random number, from the standard library's randomly keyed hasher (no RNG crate).
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// How long a `Retry-After` value asks to wait from `now`: delta-seconds (`120`), an HTTP date
/// (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) or, leniently, an RFC 3339 date-time
/// (`2026-11-22T03:00:00Z`, which OFREP's schema mentions). A date in the past gives zero;
/// anything else gives `None`.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use flags_http::parse_retry_after;
///
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06T08:49:30Z
/// assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
/// assert_eq!(
///     parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
///     Some(Duration::from_secs(7))
/// );
/// assert_eq!(parse_retry_after("1994-11-06T08:49:40Z", now), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturate absurd values rather than reject them: the caller caps the wait anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = date::parse_http_date(value).or_else(|| date::parse_rfc3339(value))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(parse_retry_after(" 0 ", at(0)), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("120", at(0)),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", at(0)),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(parse_retry_after("-1", at(0)), None);
        assert_eq!(parse_retry_after("1.5", at(0)), None);
        assert_eq!(parse_retry_after("", at(0)), None);
    }

    #[test]
    fn http_dates() {
        // 784111777 is the RFC 9110 example, Sun, 06 Nov 1994 08:49:37 GMT.
        let example = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(
            parse_retry_after(example, at(784_111_777 - 60)),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after(example, at(784_111_777 + 5)),
            Some(Duration::ZERO)
        );
        // A leap day and the turn of a century.
        assert_eq!(
            parse_retry_after("Tue, 29 Feb 2000 00:00:00 GMT", at(951_782_400 - 1)),
            Some(Duration::from_secs(1))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, at(0)), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_dates() {
        let now = at(784_111_777);
        assert_eq!(
            parse_retry_after("1994-11-06T08:49:47Z", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("1994-11-06t09:49:47.250+01:00", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("1994-11-06 07:49:47-01:00", now),
            Some(Duration::from_secs(10))
        );
        for bad in [
            "1994-11-06T08:49:47",
            "1994-13-06T08:49:47Z",
            "1994-11-06T08:49:47.Z",
            "1994-11-06T08:49:47+1:00",
            "1994-11-06X08:49:47Z",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn backoff_stays_within_its_ceiling() {
        let base = Duration::from_millis(100);
        for retry in 0..40 {
            let ceiling = (base * 2u32.saturating_pow(retry.min(20))).min(MAX_DELAY);
            for _ in 0..20 {
                assert!(backoff(base, retry) <= ceiling, "retry {retry}");
            }
        }
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
        // Full jitter: the waits are spread, not all equal to the ceiling.
        let waits: std::collections::BTreeSet<_> = (0..50)
            .map(|_| backoff(Duration::from_secs(1), 2))
            .collect();
        assert!(waits.len() > 1);
    }
}
