//! "Did you mean ...?" for misspelt names.

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely
/// typo (at most 3 edits and a third of the word's length, at least 1; not identical).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(usize::from(ca != *cb));
            let delete = previous
                .get(j + 1)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insert = current
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            current.push(substitute.min(delete).min(insert));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        let names = ["scan_files", "load_policy", "generate_receipt"];
        assert_eq!(did_you_mean("scan_file", names), Some("scan_files"));
        assert_eq!(
            did_you_mean("genrate_receipt", names),
            Some("generate_receipt")
        );
        assert_eq!(
            did_you_mean("dependson", ["depends_on", "id"]),
            Some("depends_on")
        );
        assert_eq!(did_you_mean("unrelated", names), None);
        assert_eq!(did_you_mean("generate_warning_receipt", names), None);
        assert_eq!(did_you_mean("scan_files", names), None);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
