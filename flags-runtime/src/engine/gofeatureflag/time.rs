//! Instants as GO Feature Flag reads them: RFC 3339 text, nanoseconds since the epoch.

use std::time::{SystemTime, UNIX_EPOCH};

use super::super::Clock;
use crate::context::Context;
use crate::value::Value;

/// The instant a context names: its `gofeatureflag.currentDateTime`, when that parses.
pub(super) fn of_context(ctx: &Context) -> Option<i128> {
    if let Some(Value::Map(namespace)) = ctx.get("gofeatureflag")
        && let Some(Value::String(text)) = namespace.get("currentDateTime")
    {
        return parse(text);
    }
    None
}

/// The clock's "now".
pub(super) fn read(clock: Clock) -> i128 {
    let now = match clock {
        Clock::System => SystemTime::now(),
        Clock::Fixed(at) => at,
    };
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// Whole seconds (Go's `Unix()`: toward negative infinity).
pub(super) fn unix_seconds(nanos: i128) -> i64 {
    nanos.div_euclid(1_000_000_000) as i64
}

/// An RFC 3339 date-time (`2026-01-02T03:04:05.678+01:00`, `Z` or an offset).
pub(super) fn parse(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        part.iter().try_fold(0i64, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut at = 19;
    let mut nanos: i128 = 0;
    if b[at] == b'.' {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return None;
        }
        let fraction = &text[start..at.min(start + 9)];
        nanos = fraction.parse::<i128>().ok()? * 10i128.pow(9 - fraction.len() as u32);
    }
    let offset = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(at + 1..at + 3)?;
            let m = digits(at + 4..at + 6)?;
            let _ = (h1, h2, m1, m2);
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 60 + m) * 60;
            if *sign == b'+' { s } else { -s }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            parse("2000-03-01T00:00:00.5Z"),
            Some(951_868_800_500_000_000)
        );
        assert_eq!(parse("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse("2023-01-01 00:00:00Z"), None);
        assert_eq!(parse("2023-01-01T00:00:00"), None);
        assert_eq!(unix_seconds(-1), -1);
    }
}
