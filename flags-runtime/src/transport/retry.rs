//! Backoff with full jitter and the `Retry-After` parser (delta-seconds, IMF-fixdate, and
//! RFC 3339 leniently), without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest wait between two attempts, whatever the configuration or the server says.
pub(super) const MAX_DELAY: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (0 for the first retry): a random duration in
/// `[0, min(MAX_DELAY, base · 2^retry)]` ("full jitter").
pub(super) fn backoff(base: Duration, retry: u32) -> Duration {
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
pub(crate) fn jitter(max: Duration) -> Duration {
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
/// use flags_runtime::transport::parse_retry_after;
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
    let at = http_date(value).or_else(|| rfc3339(value))?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(value: &str) -> Option<SystemTime> {
    let (weekday, rest) = value.split_once(", ")?;
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    if !DAYS.contains(&weekday) {
        return None;
    }
    let mut parts = rest.split(' ');
    let day = number(parts.next()?, 2)?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year = number(parts.next()?, 4)?;
    let (hour, minute, second) = clock(parts.next()?)?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    instant(year, month, day, hour, minute, second, 0)
}

/// `2026-11-22T03:00:00Z`, `2026-11-22t03:00:00.5+01:00`, `2026-11-22 03:00:00Z`.
fn rfc3339(value: &str) -> Option<SystemTime> {
    if !value.is_ascii() || value.len() < 20 {
        return None;
    }
    let (date, time) = (&value[..10], &value[11..]);
    if !matches!(value.as_bytes()[10], b'T' | b't' | b' ') {
        return None;
    }
    let mut ymd = date.split('-');
    let year = number(ymd.next()?, 4)?;
    let month = number(ymd.next()?, 2)?;
    let day = number(ymd.next()?, 2)?;
    if ymd.next().is_some() {
        return None;
    }
    let (hour, minute, second) = clock(time.get(..8)?)?;
    let mut rest = &time[8..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            let (h, m) = (number(h, 2)?, number(m, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * i64::from(h * 3600 + m * 60)
        }
    };
    instant(year, month, day, hour, minute, second, offset)
}

/// Exactly `width` ASCII digits.
fn number(text: &str, width: usize) -> Option<u32> {
    (text.len() == width && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `HH:MM:SS`.
fn clock(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split(':');
    let hour = number(parts.next()?, 2)?;
    let minute = number(parts.next()?, 2)?;
    let second = number(parts.next()?, 2)?;
    (parts.next().is_none() && hour < 24 && minute < 60 && second <= 60)
        .then_some((hour, minute, second))
}

/// A UTC calendar time (minus `offset` seconds) as a `SystemTime`; `None` for an invalid date
/// or one before 1970.
fn instant(
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    offset: i64,
) -> Option<SystemTime> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (the "days from civil" method:
    // years start in March so that the leap day is the last day of the year).
    let (y, m) = if month <= 2 {
        (i64::from(year) - 1, i64::from(month) + 9)
    } else {
        (i64::from(year), i64::from(month) - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59))
            - offset;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
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
