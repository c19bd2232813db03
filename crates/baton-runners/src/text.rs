//! Small text helpers for failure reasons.

/// At most `max` bytes of `s` from its start, cut at a character boundary, with `...` when cut.
pub(crate) fn head(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// The last `max_lines` lines and at most `max_bytes` bytes of `s`, cut at a character
/// boundary, with `...` in front when cut. Surrounding whitespace is trimmed.
pub(crate) fn tail(s: &str, max_lines: usize, max_bytes: usize) -> String {
    let s = s.trim();
    let mut start = 0;
    let mut cut = false;
    if let Some((idx, _)) = s.rmatch_indices('\n').nth(max_lines.saturating_sub(1)) {
        start = idx + 1;
        cut = true;
    }
    if s.len() - start > max_bytes {
        start = s.len() - max_bytes;
        while start < s.len() && !s.is_char_boundary(start) {
            start += 1;
        }
        cut = true;
    }
    if cut {
        format!("...{}", &s[start..])
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_cuts_at_char_boundary() {
        assert_eq!(head("abc", 5), "abc");
        assert_eq!(head("abcdef", 3), "abc...");
        assert_eq!(head("ééé", 3), "é...");
    }

    #[test]
    fn tail_keeps_last_lines_and_bytes() {
        assert_eq!(tail("a\nb\nc\n", 2, 100), "...b\nc");
        assert_eq!(tail("a\nb", 5, 100), "a\nb");
        assert_eq!(tail("abcdef", 5, 3), "...def");
        assert_eq!(tail("xéé", 5, 3), "...é");
    }
}
