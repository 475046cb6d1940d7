//! `sem_ver [version, operator, version]`: versions read as the reference evaluator reads them
//! (`flags_schema::flagd::grammar::SemVer`, which the lint reads them with too: one leading
//! `v`/`V` dropped, surrounding white space ignored, `1` and `1.2` read as `1.0.0` and
//! `1.2.0`, build metadata ignored), compared by semantic-version precedence, pre-releases
//! sorting before their release.

use std::cmp::Ordering;

use flags_schema::flagd::grammar::{Operator, SemVer, SemVerOp};

use super::Val;
use super::js::to_js_string;

// The pattern `[left, op, right]` below is `sem_ver`'s arity in the grammar.
const _: () = assert!(matches!(Operator::SemVer.arity(), Some(3)));

fn compare_identifiers(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Semantic-version precedence (build metadata ignored).
pub(crate) fn compare(a: &SemVer<'_>, b: &SemVer<'_>) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| match (a.pre.is_empty(), b.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let (mut x, mut y) = (a.pre.split('.'), b.pre.split('.'));
                loop {
                    match (x.next(), y.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(i), Some(j)) if i == j => {}
                        (Some(i), Some(j)) => return compare_identifiers(i, j),
                    }
                }
            }
        })
}

/// `sem_ver`: a boolean, or null when an argument is not a version or the operator unknown.
pub(crate) fn sem_ver(args: &[Val<'_>]) -> Val<'static> {
    let [left, op, right] = args else {
        return Val::Null;
    };
    let (left, right) = (to_js_string(left), to_js_string(right));
    let (Some(a), Some(b)) = (SemVer::parse(&left), SemVer::parse(&right)) else {
        return Val::Null;
    };
    let order = compare(&a, &b);
    Val::Bool(match SemVerOp::parse(&to_js_string(op)) {
        Some(SemVerOp::Eq) => order == Ordering::Equal,
        Some(SemVerOp::Ne) => order != Ordering::Equal,
        Some(SemVerOp::Lt) => order == Ordering::Less,
        Some(SemVerOp::Le) => order != Ordering::Greater,
        Some(SemVerOp::Gt) => order == Ordering::Greater,
        Some(SemVerOp::Ge) => order != Ordering::Less,
        Some(SemVerOp::Caret) => a.major == b.major,
        Some(SemVerOp::Tilde) => a.major == b.major && a.minor == b.minor,
        // A comparison the grammar gained and this evaluator does not know (the test
        // `every_comparison_of_the_grammar_is_evaluated` fails first), or none.
        _ => return Val::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, op: &str, b: &str) -> Option<bool> {
        match sem_ver(&[Val::Str(a), Val::Str(op), Val::Str(b)]) {
            Val::Bool(r) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn operators() {
        let table = [
            ("1.2.3", "=", "1.2.3", Some(true)),
            ("v1.2.3", "=", "1.2.3", Some(true)),
            ("V1.2.3", "=", "v1.2.3", Some(true)),
            ("1.2.3", "!=", "1.2.4", Some(true)),
            ("1.2.3", "<", "1.10.0", Some(true)),
            ("1.2.3", "<=", "1.2.3", Some(true)),
            ("2.0.0", ">", "1.99.99", Some(true)),
            ("2.0.0", ">=", "2.0.1", Some(false)),
            ("1.5.0", "^", "1.0.0", Some(true)),
            ("2.5.0", "^", "1.0.0", Some(false)),
            ("1.2.9", "~", "1.2.0", Some(true)),
            ("1.3.0", "~", "1.2.0", Some(false)),
            // Partial versions are padded; build metadata is ignored.
            ("1", "=", "1.0.0", Some(true)),
            ("1.2", "=", "1.2.0", Some(true)),
            ("1.1", "^", "1", Some(true)),
            ("1.0.0+build.7", "=", "1.0.0", Some(true)),
            // Pre-releases sort before the release and among themselves.
            ("2.0.0-alpha", "<", "2.0.0", Some(true)),
            ("1.0.0-alpha", "<", "1.0.0-alpha.1", Some(true)),
            ("1.0.0-alpha.1", "<", "1.0.0-alpha.beta", Some(true)),
            ("1.0.0-beta.2", "<", "1.0.0-beta.11", Some(true)),
            ("1.0.0-rc.1", ">", "1.0.0-beta.11", Some(true)),
            (" 1.2.3 ", "=", "1.2.3", Some(true)),
            // Invalid versions or operators: null.
            ("2.0.0.0", "=", "2.0.0", None),
            ("not-a-version", "=", "1.0.0", None),
            ("01.2.3", "=", "1.2.3", None),
            ("007", "=", "7.0.0", None),
            ("1.2.3-01", "=", "1.2.3", None),
            ("1.2.3", "===", "1.2.3", None),
            ("", "=", "1.0.0", None),
            // npm semver's `coerce` reads at most 16 digits per number.
            ("0.30000000000000004", "=", "0.0.0", Some(true)),
            ("12345678901234567.5", "=", "5.0.0", Some(true)),
        ];
        for (a, op, b, expected) in table {
            assert_eq!(check(a, op, b), expected, "{a} {op} {b}");
        }
    }

    /// The lint (`flags check`, load warnings) says a literal is no version exactly when
    /// `sem_ver` reads none: every string of up to 5 characters over an alphabet of the
    /// characters that matter, and some longer ones.
    #[test]
    fn the_lint_reads_versions_as_the_engine_does() {
        let alphabet: Vec<char> = "01.-+vV a\u{feff}".chars().collect();
        let mut texts = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..5 {
            let mut next = Vec::with_capacity(frontier.len() * alphabet.len());
            for text in &frontier {
                for c in &alphabet {
                    let mut longer = text.clone();
                    longer.push(*c);
                    next.push(longer);
                }
            }
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        texts.extend(
            [
                "1.2.3",
                "v1.2.3-beta.1+build.5",
                "1.2.3-01",
                "1.2.3-0a",
                "12345678901234567",
                "12345678901234567.5",
                "1.12345678901234567",
                "9007199254740991.0.0",
                "9007199254740992.0.0",
                "vv1.2.3",
                "Vv1.2.3",
                "vV1.2.3",
                " 1.2.3 ",
                "1.2.3+b..c",
            ]
            .map(str::to_owned),
        );
        texts.push(format!("1.2.3-{}", "a".repeat(300)));
        texts.push(format!("{}1", " ".repeat(260)));
        assert!(texts.len() > 100_000);
        // Both read versions with the grammar's `SemVer::parse`; this holds the engine's
        // evaluation (the arguments as JavaScript strings, then parsed) to the lint's answer.
        for text in &texts {
            let evaluated = sem_ver(&[Val::Str(text), Val::Str("="), Val::Str("0.0.0")]);
            assert_eq!(
                flags_schema::flagd::is_sem_ver_version(text),
                matches!(evaluated, Val::Bool(_)),
                "{text:?}"
            );
        }
    }

    /// Every comparison the grammar (and so the lint) accepts is one this evaluator computes.
    #[test]
    fn every_comparison_of_the_grammar_is_evaluated() {
        for op in SemVerOp::ALL {
            let result = sem_ver(&[Val::Str("1.0.0"), Val::Str(op.symbol()), Val::Str("1.0.0")]);
            assert!(matches!(result, Val::Bool(_)), "{op:?}");
        }
    }

    #[test]
    fn numbers_are_versions() {
        assert_eq!(
            sem_ver(&[Val::Num(1.0), Val::Str("="), Val::Str("1.0.0")]).to_value(),
            crate::value::Value::Bool(true)
        );
        assert_eq!(
            sem_ver(&[Val::Num(1.2), Val::Str("<"), Val::Str("1.10")]).to_value(),
            crate::value::Value::Bool(true)
        );
        assert!(matches!(
            sem_ver(&[Val::Null, Val::Str("="), Val::Str("1.0.0")]),
            Val::Null
        ));
        assert!(matches!(
            sem_ver(&[Val::Str("1.0.0"), Val::Str("=")]),
            Val::Null
        ));
    }
}
