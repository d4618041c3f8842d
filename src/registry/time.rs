//! Timestamps as registries write them, to unix seconds, without a date crate.
//!
//! Two formats occur: RFC 3339 in image configs (`"created": "2026-04-21T09:30:12.123456789Z"`)
//! and in Docker Hub's `last_updated`, and the HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) of a
//! `Retry-After` header. Both reduce to a civil date plus a time of day, so one calendar
//! function serves both.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), exact for every year an image can carry.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Days in `month` of `year`, so `2026-02-30` is rejected rather than silently rolled over.
fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Unix seconds of a validated civil date and time of day (UTC).
fn unix_seconds(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second <= 60; // a leap second is accepted and lands on the next minute
    valid.then(|| {
        days_from_civil(year, month, day) * 86_400
            + i64::from(hour) * 3_600
            + i64::from(minute) * 60
            + i64::from(second)
    })
}

/// Exactly `len` ASCII digits at `at`, as a number.
fn digits(bytes: &[u8], at: usize, len: usize) -> Option<u32> {
    let slice = bytes.get(at..at + len)?;
    slice.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses an RFC 3339 timestamp to unix seconds (fractions truncated): `2026-04-21T09:30:12Z`,
/// `2026-04-21T09:30:12.123456789Z`, `2026-04-21T11:30:12+02:00`. `t`, `z` and a space
/// separator are accepted as RFC 3339 allows. Anything else is `None`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let year = i64::from(digits(b, 0, 4)?);
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    let separators = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't' | b' '))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':');
    if !separators {
        return None;
    }
    let mut at = 19;
    if b.get(at) == Some(&b'.') {
        let fraction = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
    }
    let offset = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = i64::from(digits(rest, 0, 2)?);
            let minutes = i64::from(digits(rest, 3, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3_600 + minutes * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    Some(unix_seconds(year, month, day, hour, minute, second)? - offset)
}

/// Parses an HTTP date in the IMF-fixdate form every current server sends
/// (`Sun, 06 Nov 1994 08:49:37 GMT`) to unix seconds. The obsolete RFC 850 and asctime forms
/// are `None`: a `Retry-After` we cannot read falls back to exponential backoff.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let rest = text.split_once(", ").map_or(text, |(_, rest)| rest);
    let mut parts = rest.split(' ');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let clock = parts.next()?.as_bytes();
    if parts.next()? != "GMT" || parts.next().is_some() || clock.len() != 8 {
        return None;
    }
    if clock[2] != b':' || clock[5] != b':' {
        return None;
    }
    let (hour, minute, second) = (
        digits(clock, 0, 2)?,
        digits(clock, 3, 2)?,
        digits(clock, 6, 2)?,
    );
    unix_seconds(year, month, day, hour, minute, second)
}

/// Now, in unix seconds (0 if the clock is before 1970, which only a broken clock is).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_forms() {
        // `date -u -d 2026-04-21T09:30:12Z +%s`
        assert_eq!(parse_rfc3339("2026-04-21T09:30:12Z"), Some(1_776_763_812));
        assert_eq!(
            parse_rfc3339("2026-04-21T09:30:12.123456789Z"),
            Some(1_776_763_812)
        );
        assert_eq!(
            parse_rfc3339("2026-04-21t11:30:12+02:00"),
            Some(1_776_763_812)
        );
        assert_eq!(
            parse_rfc3339("2026-04-21 04:30:12-05:00"),
            Some(1_776_763_812)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(-62_135_596_800));
    }

    #[test]
    fn rfc3339_rejects_near_misses() {
        for bad in [
            "",
            "2026-04-21",
            "2026-04-21T09:30:12",
            "2026-04-21T09:30:12.Z",
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-04-21T24:00:00Z",
            "2026-04-21T09:30:12+0200",
            "2026-04-21T09:30:12Zjunk",
            "２０２６-04-21T09:30:12Z",
            "2026-04-21T09:30:12+99:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Tue, 21 Apr 2026 09:30:12 GMT"),
            Some(1_776_763_812)
        );
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("120"), None);
    }
}
