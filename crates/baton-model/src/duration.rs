//! Durations such as `500ms`, `30s`, `5m`, `1h`, `2d`, `1h30m` and ISO-8601 (`PT5M`,
//! `P1DT2H`), read into milliseconds.
//!
//! The short form is a sequence of `<integer><unit>` parts with units `ms`, `s`, `m`, `h`,
//! `d` (a day is 24 hours), each unit at most once and from the largest to the smallest.
//! ISO-8601 durations may use weeks, days, hours, minutes and (fractional) seconds; years
//! and months are refused because their length is not fixed. Negative durations are refused.

use jiff::{Span, SpanRelativeTo};

/// The forms a duration may take, quoted in every error.
pub const ACCEPTED_FORMS: &str =
    "write a duration like `500ms`, `30s`, `5m`, `1h`, `2d`, `1h30m` or ISO-8601 `PT5M`";

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a duration: {reason}; {ACCEPTED_FORMS}")]
pub struct DurationError {
    /// The text that was given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl DurationError {
    fn new(text: &str, reason: impl Into<String>) -> DurationError {
        DurationError {
            text: text.to_string(),
            reason: reason.into(),
        }
    }
}

/// Parses a duration into milliseconds.
///
/// ```
/// use baton_model::duration::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
/// assert_eq!(parse_duration("PT5M"), Ok(300_000));
/// assert!(parse_duration("30 seconds").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<u64, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::new(text, "it is empty"));
    }
    if trimmed.starts_with('-') {
        return Err(DurationError::new(text, "durations cannot be negative"));
    }
    if trimmed.contains(char::is_whitespace) {
        return Err(DurationError::new(
            text,
            "it contains spaces (units are written right after the number)",
        ));
    }
    if trimmed.starts_with(['P', 'p']) {
        return parse_iso(text, trimmed);
    }
    parse_short(text, trimmed)
}

/// Units of the short form, largest first, with their length in milliseconds.
const UNITS: &[(&str, u64)] = &[
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

fn parse_short(text: &str, trimmed: &str) -> Result<u64, DurationError> {
    let mut rest = trimmed;
    let mut total: u64 = 0;
    // Index into UNITS of the last unit used: units must get strictly smaller.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits_len == 0 {
            return Err(DurationError::new(
                text,
                format!("expected a number at `{rest}`"),
            ));
        }
        let (digits, after_digits) = rest.split_at(digits_len);
        let unit_len = after_digits
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        let (unit, after_unit) = after_digits.split_at(unit_len);
        if unit.is_empty() {
            return Err(DurationError::new(
                text,
                format!("`{digits}` has no unit (ms, s, m, h or d)"),
            ));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::new(text, format!("unknown unit `{unit}`")));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(DurationError::new(
                text,
                "units must go from the largest to the smallest, each at most once",
            ));
        }
        last_unit = Some(index);
        let amount: u64 = digits
            .parse()
            .map_err(|_| DurationError::new(text, "the number is too large"))?;
        let factor = UNITS.get(index).map_or(1, |(_, ms)| *ms);
        total = amount
            .checked_mul(factor)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| DurationError::new(text, "the duration is too large"))?;
        rest = after_unit;
    }
    Ok(total)
}

fn parse_iso(text: &str, trimmed: &str) -> Result<u64, DurationError> {
    let span: Span = trimmed
        .parse()
        .map_err(|e| DurationError::new(text, format!("invalid ISO-8601 duration ({e})")))?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(DurationError::new(
            text,
            "years and months have no fixed length; use days (`P30D`)",
        ));
    }
    let duration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| DurationError::new(text, format!("invalid ISO-8601 duration ({e})")))?;
    if duration.is_negative() {
        return Err(DurationError::new(text, "durations cannot be negative"));
    }
    u64::try_from(duration.as_millis())
        .map_err(|_| DurationError::new(text, "the duration is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, u64)] = &[
            ("500ms", 500),
            ("0s", 0),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h", 3_600_000),
            ("2d", 172_800_000),
            ("1h30m", 5_400_000),
            ("1d2h3m4s5ms", 93_784_005),
            (" 30s ", 30_000),
            ("PT5M", 300_000),
            ("P1DT2H", 93_600_000),
            ("PT0.5S", 500),
            ("P1W", 604_800_000),
            ("pt1h", 3_600_000),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_duration(text), Ok(*ms), "{text}");
        }
    }

    #[test]
    fn refused_forms_explain_the_accepted_ones() {
        let cases: &[(&str, &str)] = &[
            ("30 seconds", "contains spaces"),
            ("abc", "expected a number"),
            ("30seconds", "unknown unit `seconds`"),
            ("", "empty"),
            ("   ", "empty"),
            ("-5s", "negative"),
            ("-PT5M", "negative"),
            ("30", "has no unit"),
            ("5x", "unknown unit `x`"),
            ("30m1h", "largest to the smallest"),
            ("1s1s", "largest to the smallest"),
            ("P1M", "years and months"),
            ("P1Y", "years and months"),
            ("PXYZ", "ISO-8601"),
            ("99999999999999999999s", "too large"),
            ("999999999999999d", "too large"),
            ("1.5h", "has no unit"),
        ];
        for (text, reason) in cases {
            let err = parse_duration(text).expect_err(text);
            let message = err.to_string();
            assert!(message.contains(reason), "{text}: {message}");
            assert!(message.contains("`500ms`, `30s`"), "{text}: {message}");
        }
    }
}
