//! Limits that keep reading a definition document bounded by its size, whoever wrote it: how
//! deep rules and values may nest, and what a "did you mean" may cost.

use serde_json::Value;

use crate::error::Problem;

/// How deep arrays and objects may nest in a targeting rule, an evaluator (`$evaluators`) or a
/// flag value (a variant, a default): 64 levels, the outermost array or object counting as
/// one. A document nesting deeper is rejected, with the path of the first value past the
/// limit.
///
/// JSON text itself may nest 128 levels (`serde_json`'s recursion limit); rules and values
/// get half of that because an engine walks them recursively, when they load and when they
/// are evaluated on the caller's thread, whose stack may be small. A JSON Logic operation
/// takes two levels (the operation object and its argument array), so a rule may nest 32
/// operations, far more than rules written by people do. Flag metadata holds scalars only.
///
/// ```
/// let mut rule = serde_json::json!({ "var": "plan" });
/// for _ in 0..40 {
///     rule = serde_json::json!({ "!": [rule] });
/// }
/// let document = serde_json::json!({ "flags": { "deep": {
///     "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
///     "targeting": rule,
/// } } });
/// let error = flags_schema::import(&document, "flags.json").unwrap_err();
/// assert!(error.to_string().contains("nested more than 64 levels"), "{error}");
/// ```
pub const MAX_NESTING: usize = 64;

/// The longest name (in characters) that [`closest`](crate::closest) looks for a suggestion
/// for: the edit distance costs the product of the two lengths.
pub const SUGGEST_MAX_NAME: usize = 64;

/// Candidates longer than this (in characters) are never suggested.
const SUGGEST_MAX_CANDIDATE: usize = 2 * SUGGEST_MAX_NAME;

/// Checks that `value` nests at most [`MAX_NESTING`] arrays and objects; `at` names it in the
/// error (`targeting`, `variants.big`), and is called only then. The check recurses at most
/// [`MAX_NESTING`] levels whatever the depth of `value`; the path of a value past the limit is
/// then found without recursion.
pub(crate) fn check_nesting(value: &Value, at: impl FnOnce() -> String) -> Result<(), Problem> {
    if within(value, MAX_NESTING) {
        return Ok(());
    }
    let Some(children) = Children::of(value) else {
        return Ok(());
    };
    let mut stack: Vec<(Segment<'_>, Children<'_>)> = vec![(Segment::Root, children)];
    while let Some((_, children)) = stack.last_mut() {
        let Some((segment, child)) = children.next() else {
            stack.pop();
            continue;
        };
        let Some(grandchildren) = Children::of(child) else {
            continue;
        };
        if stack.len() == MAX_NESTING {
            let segments = stack.iter().map(|(s, _)| s).skip(1).chain([&segment]);
            return Err(Problem::TooDeep {
                path: render_path(&at(), segments),
                limit: MAX_NESTING,
            });
        }
        stack.push((segment, grandchildren));
    }
    Ok(())
}

/// Whether `value` nests at most `levels` arrays and objects (recursing at most that deep).
fn within(value: &Value, levels: usize) -> bool {
    match value {
        Value::Array(items) => levels > 0 && items.iter().all(|v| within(v, levels - 1)),
        Value::Object(map) => levels > 0 && map.values().all(|v| within(v, levels - 1)),
        _ => true,
    }
}

/// One step of a path into a value.
enum Segment<'a> {
    Root,
    Index(usize),
    Key(&'a str),
}

/// The children of an array or object still to visit.
enum Children<'a> {
    Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
    Object(serde_json::map::Iter<'a>),
}

impl<'a> Children<'a> {
    fn of(value: &'a Value) -> Option<Children<'a>> {
        match value {
            Value::Array(items) => Some(Children::Array(items.iter().enumerate())),
            Value::Object(map) => Some(Children::Object(map.iter())),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<(Segment<'a>, &'a Value)> {
        match self {
            Children::Array(items) => items.next().map(|(i, v)| (Segment::Index(i), v)),
            Children::Object(entries) => entries.next().map(|(k, v)| (Segment::Key(k), v)),
        }
    }
}

/// `at` followed by the segments, as `targeting.if[0].and[1]`, kept short for a message: keys
/// cut to 24 characters, and only the first and last 8 segments of a long path.
fn render_path<'s, 'a: 's>(at: &str, segments: impl Iterator<Item = &'s Segment<'a>>) -> String {
    const KEEP: usize = 8;
    let segments: Vec<&Segment<'_>> = segments.collect();
    let mut out = shorten(at, 48);
    let mut write = |segment: &Segment<'_>| match segment {
        Segment::Root => {}
        Segment::Index(i) => out.push_str(&format!("[{i}]")),
        Segment::Key(key) => {
            out.push('.');
            out.push_str(&shorten(key, 24));
        }
    };
    if segments.len() <= 2 * KEEP {
        segments.iter().for_each(|s| write(s));
    } else {
        segments[..KEEP].iter().for_each(|s| write(s));
        write(&Segment::Key("…"));
        segments[segments.len() - KEEP..]
            .iter()
            .for_each(|s| write(s));
    }
    out
}

/// `text` cut to `max` characters, with `…` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// The candidate most similar to `key`, spending at most `work` units (one per candidate
/// looked at plus the product of the two names' lengths per comparison) and deducting what
/// it spends: for callers that suggest many names against candidates they do not control (a
/// configuration with thousands of unknown names and thousands of evaluators), so that all
/// their suggestions together cost at most the budget they start with. Names longer than
/// [`SUGGEST_MAX_NAME`] characters get no suggestion; candidates more than twice that long are
/// skipped. The criteria are those of [`closest`](crate::closest); when the budget runs out,
/// the best candidate among those compared is the answer.
///
/// ```
/// let mut work = 1_000_000;
/// let names = ["staff", "beta-users"];
/// assert_eq!(flags_schema::closest_within("staf", names.into_iter(), &mut work), Some("staff"));
/// assert!(work < 1_000_000);
/// let long = "x".repeat(100_000);
/// let before = work;
/// assert_eq!(flags_schema::closest_within(&long, names.into_iter(), &mut work), None);
/// assert_eq!(work, before - 1);
/// ```
pub fn closest_within<'a>(
    key: &str,
    candidates: impl Iterator<Item = &'a str>,
    work: &mut u64,
) -> Option<&'a str> {
    *work = work.saturating_sub(1);
    // Four bytes at most per character: longer texts are over the limit without counting.
    if key.len() > 4 * SUGGEST_MAX_NAME {
        return None;
    }
    let key = normalise(key);
    let key_len = key.chars().count();
    if key_len > SUGGEST_MAX_NAME {
        return None;
    }
    let mut best: Option<(&str, (usize, f64))> = None;
    for candidate in candidates {
        if *work == 0 {
            break;
        }
        *work -= 1;
        if candidate.len() > 4 * SUGGEST_MAX_CANDIDATE {
            continue;
        }
        let normalised = normalise(candidate);
        let candidate_len = normalised.chars().count();
        if candidate_len > SUGGEST_MAX_CANDIDATE {
            continue;
        }
        // Both measures fill a table of one length by the other.
        let cost = (key_len.max(1) * candidate_len.max(1)) as u64;
        if *work < cost {
            *work = 0;
            break;
        }
        *work -= cost;
        // Jaro-Winkler finds long keys with a slip; the edit distance (with transpositions)
        // finds short ones, where Jaro-Winkler is harsh (`kye` for `key`).
        let edits = strsim::osa_distance(&key, &normalised);
        let similarity = strsim::jaro_winkler(&key, &normalised);
        let close = similarity >= 0.8 || edits <= (key_len / 4).max(1);
        if !close || edits >= key_len.max(candidate_len) {
            continue;
        }
        let score = (edits, similarity);
        if best.is_none_or(|(_, (e, s))| edits < e || (edits == e && similarity > s)) {
            best = Some((candidate, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Lowercase, separators dropped, so that `newCheckout` finds `new-checkout`.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// `depth` arrays nested in one another around `1`.
    fn nested_arrays(depth: usize) -> Value {
        let mut value = json!(1);
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        value
    }

    #[test]
    fn nesting_up_to_the_limit_passes_and_one_more_level_fails_with_the_path() {
        assert_eq!(
            check_nesting(&nested_arrays(MAX_NESTING), || "targeting".into()),
            Ok(())
        );
        assert_eq!(check_nesting(&json!("scalar"), || "default".into()), Ok(()));
        let Err(Problem::TooDeep { path, limit }) =
            check_nesting(&nested_arrays(MAX_NESTING + 1), || "targeting".into())
        else {
            panic!("not rejected");
        };
        assert_eq!(limit, MAX_NESTING);
        // 64 indexes: the first and last 8 kept around an ellipsis.
        assert_eq!(
            path,
            format!("targeting{}.…{}", "[0]".repeat(8), "[0]".repeat(8))
        );
    }

    #[test]
    fn the_path_names_keys_and_indexes_and_short_paths_whole() {
        let mut value = json!({ "var": "x" });
        for _ in 0..(MAX_NESTING / 2) {
            value = json!({ "if": [true, value] });
        }
        let wide = json!({ "if": [1, 2, { "and": [value] }] });
        let Err(Problem::TooDeep { path, .. }) = check_nesting(&wide, || "targeting".into()) else {
            panic!("not rejected");
        };
        assert!(
            path.starts_with("targeting.if[2].and[0].if[1].if[1]"),
            "{path}"
        );
        assert!(path.ends_with(".if[1].if[1]"), "{path}");
        let long_key = "k".repeat(1000);
        let mut value = json!(1);
        for _ in 0..=MAX_NESTING {
            value = json!({ long_key.clone(): value });
        }
        let Err(Problem::TooDeep { path, .. }) = check_nesting(&value, || "variants.v".into())
        else {
            panic!("not rejected");
        };
        assert!(path.len() < 600, "{} bytes", path.len());
    }

    #[test]
    fn nesting_is_checked_without_recursion() {
        // Far deeper than any stack would take recursively; built and dropped by hand, since
        // serde_json's own drop recurses.
        let depth = 200_000;
        let mut value = json!(1);
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        assert!(matches!(
            check_nesting(&value, || "targeting".into()),
            Err(Problem::TooDeep { .. })
        ));
        let mut current = value;
        while let Value::Array(mut items) = current {
            current = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn suggestions_spend_at_most_their_budget() {
        let candidates: Vec<String> = (0..10_000).map(|i| format!("evaluator-{i}")).collect();
        let mut work = 50_000;
        let found = closest_within(
            "evaluator-1x",
            candidates.iter().map(String::as_str),
            &mut work,
        );
        assert_eq!(work, 0);
        // Among the candidates compared before the budget ran out.
        assert!(
            found.is_some_and(|f| f.starts_with("evaluator-1")),
            "{found:?}"
        );
        let mut work = u64::MAX;
        let long = "e".repeat(SUGGEST_MAX_NAME + 1);
        assert_eq!(closest_within(&long, ["e"].into_iter(), &mut work), None);
        assert_eq!(work, u64::MAX - 1);
        // A long candidate is skipped for one unit.
        let mut work = 100;
        let long_candidate = "a".repeat(10 * SUGGEST_MAX_CANDIDATE);
        assert_eq!(
            closest_within("aaa", [long_candidate.as_str()].into_iter(), &mut work),
            None
        );
        assert_eq!(work, 98);
    }

    #[test]
    fn shorten_cuts_on_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("ééé", 2), "éé…");
    }
}
