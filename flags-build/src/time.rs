//! The fetch time recorded in the lock: RFC 3339 in UTC, to the second (written by
//! `flags_http::date`). `SOURCE_DATE_EPOCH` (the reproducible-builds convention) replaces the
//! clock when set.

use std::time::{SystemTime, UNIX_EPOCH};

use flags_http::date::rfc3339;

/// Now, or `SOURCE_DATE_EPOCH`, as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_rfc3339() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
    rfc3339(seconds)
}
