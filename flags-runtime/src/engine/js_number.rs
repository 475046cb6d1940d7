//! JavaScript's conversions between numbers and text, shared by the rule dialects that
//! reproduce a JavaScript evaluator (flagd's JSON Logic, Flagship's rules): `StringToNumber`,
//! `Number.prototype.toString()`, and a string on the stack to write numbers into without
//! allocating. A leaf: it imports nothing from the engine.

use std::fmt::Write as _;

/// JavaScript's `StringToNumber`: whitespace trimmed, empty is 0, decimal literals,
/// `Infinity`, and unsigned `0x` / `0o` / `0b` literals; anything else is NaN.
pub(crate) fn string_to_number(text: &str) -> f64 {
    let s = text.trim_matches(is_js_whitespace);
    if s.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = s.strip_prefix(prefix) {
            return radix_literal(digits, radix);
        }
    }
    let (sign, body) = match s.as_bytes()[0] {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(body) {
        return f64::NAN;
    }
    body.parse::<f64>().map_or(f64::NAN, |n| sign * n)
}

/// `digits [. digits] [e [+-] digits]` or `. digits [exponent]`, without sign.
fn is_decimal_literal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - start;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        i += 1;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == bytes.len()
}

/// JavaScript's white space and line terminators (what `String.prototype.trim` removes).
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// A number as JavaScript's `Number.prototype.toString()` writes it.
pub(crate) fn write_number(out: &mut impl std::fmt::Write, n: f64) {
    if n.is_nan() {
        let _ = out.write_str("NaN");
        return;
    }
    if n == 0.0 {
        let _ = out.write_str("0");
        return;
    }
    if n.is_infinite() {
        let _ = out.write_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        // Exact integers below 2^63 print directly.
        if n.abs() < 9.0e18 {
            let _ = write!(out, "{}", n as i64);
            return;
        }
    }
    // Shortest round-trip digits and exponent, from Rust's `{:e}` (also shortest).
    let mut buf = StackStr::<40>::new();
    let _ = write!(buf, "{:e}", n.abs());
    let text = buf.as_str();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let mut digits = StackStr::<24>::new();
    for c in mantissa.chars().filter(|c| *c != '.') {
        let _ = digits.write_char(c);
    }
    let digits = digits.as_str();
    let k = digits.len() as i32;
    let point = exponent + 1; // JavaScript's n
    if n < 0.0 {
        let _ = out.write_char('-');
    }
    if k <= point && point <= 21 {
        let _ = out.write_str(digits);
        for _ in 0..(point - k) {
            let _ = out.write_char('0');
        }
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        let _ = write!(out, "{int}.{frac}");
    } else if -6 < point && point <= 0 {
        let _ = out.write_str("0.");
        for _ in 0..(-point) {
            let _ = out.write_char('0');
        }
        let _ = out.write_str(digits);
    } else {
        let e = point - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            let _ = write!(out, "{first}e{sign}{}", e.abs());
        } else {
            let _ = write!(out, "{first}.{rest}e{sign}{}", e.abs());
        }
    }
}

/// The digits of a `0x` / `0o` / `0b` literal (`radix` 16, 8 or 2) as the nearest double, as
/// JavaScript rounds them (exactly, to nearest, ties to even); NaN when there are none or one
/// is not a digit of the radix.
fn radix_literal(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let bits = radix.trailing_zeros();
    // The leading 64 significant bits, whether any bit after them is set, and how many were
    // left out: 64 bits keep more than the 53 of a double and its rounding bit, and a set
    // lowest bit for the dropped ones ("round to odd") keeps ties honest.
    let (mut top, mut sticky, mut dropped) = (0u64, false, 0i32);
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return f64::NAN;
        };
        for shift in (0..bits).rev() {
            let bit = u64::from((d >> shift) & 1);
            if top >> 63 == 0 {
                top = (top << 1) | bit;
            } else {
                sticky |= bit == 1;
                dropped = dropped.saturating_add(1);
            }
        }
    }
    if sticky {
        top |= 1;
    }
    // `as f64` rounds to nearest, ties to even; the scaling by a power of two is exact (or
    // overflows to infinity, as JavaScript's does).
    let mut value = top as f64;
    while dropped > 0 {
        let step = dropped.min(1000);
        value *= 2f64.powi(step);
        dropped -= step;
    }
    value
}

/// A fixed-capacity string on the stack, for formatting without allocating.
pub(crate) struct StackStr<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> StackStr<N> {
    pub(crate) fn new() -> Self {
        StackStr {
            buf: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> std::fmt::Write for StackStr<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_literals_round_to_nearest() {
        assert_eq!(string_to_number("0x1A"), 26.0);
        assert_eq!(string_to_number("0b101"), 5.0);
        assert_eq!(string_to_number("0o17"), 15.0);
        // 2^53 + 1 rounds to even (2^53), 2^53 + 3 up to 2^53 + 4.
        assert_eq!(string_to_number("0x20000000000001"), 9007199254740992.0);
        assert_eq!(string_to_number("0x20000000000003"), 9007199254740996.0);
        // A tie broken by a bit far to the right rounds up.
        assert_eq!(
            string_to_number("0x200000000000010000000000000001"),
            9007199254740994.0f64 * 2f64.powi(64)
        );
        assert_eq!(
            string_to_number(&format!("0x{}", "f".repeat(300))),
            f64::INFINITY
        );
        assert!(string_to_number("0x1g").is_nan());
        assert!(string_to_number("0x").is_nan());
    }
}
