//! Civil dates without a date crate: the proleptic Gregorian calendar in UTC, the HTTP date
//! (IMF-fixdate), RFC 3339 and ISO 8601 as JavaScript writes it. The only date arithmetic of
//! the workspace.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use flags_http::date;
//!
//! let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
//! assert_eq!(date::http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
//! assert_eq!(date::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at));
//! assert_eq!(date::parse_rfc3339("1994-11-06T09:49:37+01:00"), Some(at));
//! assert_eq!(date::rfc3339(784_111_777), "1994-11-06T08:49:37Z");
//! assert_eq!(date::iso8601(at + Duration::from_millis(250)), "1994-11-06T08:49:37.250Z");
//! ```

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`: years
/// start in March so that the leap day is the last day of the year). The date is not checked.
///
/// ```
/// assert_eq!(flags_http::date::days_from_civil(2000, 3, 1), 11_017);
/// ```
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (y, m) = if month <= 2 {
        (year - 1, i64::from(month) + 9)
    } else {
        (year, i64::from(month) - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
///
/// ```
/// assert_eq!(flags_http::date::civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both within their ranges by construction (1..=31, 1..=12).
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` has a 29 February.
fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// A UTC calendar time (minus `offset` seconds) as a `SystemTime`; `None` for an invalid date
/// or one before 1970. A leap second (`:60`) counts as `:59`.
fn instant(
    (year, month, day): (u32, u32, u32),
    (hour, minute, second): (u32, u32, u32),
    offset: i64,
) -> Option<SystemTime> {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(i64::from(year)) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds =
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second.min(59))
            - offset;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// `at` as an IMF-fixdate, the HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`); a time before 1970
/// is written as 1970-01-01.
pub fn http_date(at: SystemTime) -> String {
    let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // At most u64::MAX / 86 400, well within i64.
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX);
    let time = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS[usize::try_from((days + 3) % 7).unwrap_or(0)];
    let month = MONTHS[month as usize - 1];
    format!(
        "{weekday}, {day:02} {month} {year} {:02}:{:02}:{:02} GMT",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// Reads an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), strictly: two-digit day, a known
/// weekday and month, `GMT`. `None` for anything else or a date before 1970.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    let (weekday, rest) = value.split_once(", ")?;
    if !WEEKDAYS.contains(&weekday) {
        return None;
    }
    let mut parts = rest.split(' ');
    let day = number(parts.next()?, 2)?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u32 + 1;
    let year = number(parts.next()?, 4)?;
    let clock = clock(parts.next()?)?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    instant((year, month, day), clock, 0)
}

/// Reads an RFC 3339 date-time leniently (`2026-11-22T03:00:00Z`,
/// `2026-11-22t03:00:00.5+01:00`, `2026-11-22 03:00:00Z`). `None` for anything else or a date
/// before 1970; fractions of a second are dropped.
pub fn parse_rfc3339(value: &str) -> Option<SystemTime> {
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
    let clock = clock(time.get(..8)?)?;
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
    instant((year, month, day), clock, offset)
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

/// Seconds since the Unix epoch as an RFC 3339 UTC timestamp to the second
/// (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let in_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// A point in time as ISO 8601 in UTC, as JavaScript's `Date.prototype.toISOString` writes it
/// but without the milliseconds when they are zero: `2024-02-07T12:00:00Z`,
/// `2024-02-07T12:00:00.250Z`. Sub-millisecond precision is dropped (towards the past).
/// Years outside 0..=9999 use the extended form `+012345` / `-000001`.
pub fn iso8601(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i128::from(d.as_secs()), d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (i128::from(d.as_secs()), d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    };
    // Within i64: a `Duration` holds at most u64::MAX seconds.
    let days = i64::try_from(secs.div_euclid(86_400)).unwrap_or(i64::MAX);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    if (0..=9999).contains(&year) {
        let _ = write!(out, "{year:04}");
    } else {
        let sign = if year < 0 { '-' } else { '+' };
        let _ = write!(out, "{sign}{:06}", year.unsigned_abs());
    }
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
    let millis = nanos / 1_000_000;
    if millis != 0 {
        let _ = write!(out, ".{millis:03}");
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn civil_days_round_trip() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
    }

    // From test-support's `fault.rs`, where `http_date` was written for `Retry-After`.
    #[test]
    fn http_dates_match_the_rfc_example() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn http_dates_read_what_they_write() {
        for seconds in [0, 86_399, 784_111_777, 951_782_400, 4_102_444_799] {
            assert_eq!(parse_http_date(&http_date(at(seconds))), Some(at(seconds)));
        }
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(at(951_782_400))
        );
        for bad in [
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Thu, 31 Dec 1969 23:59:59 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn rfc3339_dates_read_leniently() {
        let now = at(784_111_777);
        assert_eq!(parse_rfc3339("1994-11-06T08:49:37Z"), Some(now));
        assert_eq!(parse_rfc3339("1994-11-06t09:49:37.250+01:00"), Some(now));
        assert_eq!(parse_rfc3339("1994-11-06 07:49:37-01:00"), Some(now));
        for bad in [
            "1994-11-06T08:49:47",
            "1994-13-06T08:49:47Z",
            "1994-11-06T08:49:47.Z",
            "1994-11-06T08:49:47+1:00",
            "1994-11-06X08:49:47Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    // From flags-build's `time.rs`, which records the fetch time in the lock.
    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    // From the runtime's `wire/context.rs`, which sends date-times to flag services.
    #[test]
    fn iso8601_vectors() {
        let at = |secs: i64, nanos: u32| {
            if secs >= 0 {
                UNIX_EPOCH + Duration::new(secs as u64, nanos)
            } else {
                UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + Duration::new(0, nanos)
            }
        };
        assert_eq!(iso8601(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(
            iso8601(at(1_709_210_096, 250_999_999)),
            "2024-02-29T12:34:56.250Z"
        );
        assert_eq!(iso8601(at(-1, 0)), "1969-12-31T23:59:59Z");
        assert_eq!(iso8601(at(-1, 500_000_000)), "1969-12-31T23:59:59.500Z");
        assert_eq!(iso8601(at(253_402_300_799, 0)), "9999-12-31T23:59:59Z");
        assert_eq!(iso8601(at(253_402_300_800, 0)), "+010000-01-01T00:00:00Z");
        assert_eq!(iso8601(at(-62_167_219_201, 0)), "-000001-12-31T23:59:59Z");
    }
}
