//! "Did you mean …?" suggestions for misspelled names.

/// Returns the candidate closest to `word`, if it is close enough to be a likely typo.
///
/// Candidates equal to `word` ignoring case, `_` and `-` always qualify and win.
/// Otherwise the smallest case-insensitive optimal-string-alignment distance
/// (Levenshtein plus adjacent transpositions) is used, and only accepted when it
/// is at most `max(1, word length / 3)`. Ties go to the earliest candidate.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(&exact) = candidates.iter().find(|&&c| c == word) {
        return Some(exact);
    }
    let normalized = normalize(word);
    if let Some(&loose) = candidates.iter().find(|c| normalize(c) == normalized) {
        return Some(loose);
    }
    let lower: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let other: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
        let distance = osa_distance(&lower, &other);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Lowercases and drops `_` and `-`.
fn normalize(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '_' | '-')).flat_map(char::to_lowercase).collect()
}

/// Optimal string alignment distance (edits plus adjacent transpositions).
fn osa_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_examples() {
        assert_eq!(closest("replica", &["replicas", "selector"]), Some("replicas"));
        assert_eq!(closest("nodepools", &["nodePools"]), Some("nodePools"));
        assert_eq!(closest("xyz", &["replicas"]), None);
        assert_eq!(closest("durration", &["duration", "description"]), Some("duration"));
    }

    #[test]
    fn normalized_matches() {
        assert_eq!(closest("node_pools", &["nodePools"]), Some("nodePools"));
        assert_eq!(closest("max-surge", &["maxUnavailable", "maxSurge"]), Some("maxSurge"));
        // A loose match beats an earlier candidate at edit distance 1.
        assert_eq!(closest("Cpu", &["cpus", "CPU"]), Some("CPU"));
        // An exact match beats an earlier case-insensitive one.
        assert_eq!(closest("cpu", &["CPU", "cpu"]), Some("cpu"));
    }

    #[test]
    fn thresholds_and_ties() {
        assert_eq!(closest("ab", &["xy"]), None);
        assert_eq!(closest("ab", &["ac"]), Some("ac"));
        // Six letters allow two edits but not three.
        assert_eq!(closest("memory", &["memxxy"]), Some("memxxy"));
        assert_eq!(closest("memory", &["mexxxy"]), None);
        // Ties go to the first candidate.
        assert_eq!(closest("cat", &["bat", "cap"]), Some("bat"));
        assert_eq!(closest("cat", &["cart", "bat"]), Some("cart"));
        // Transpositions count as one edit.
        assert_eq!(closest("selcetor", &["selector"]), Some("selector"));
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(closest("anything", &[]), None);
        assert_eq!(closest("", &["a", ""]), Some(""));
        assert_eq!(closest("", &["a"]), Some("a"));
    }

    #[test]
    fn osa_distances() {
        let d = |a: &str, b: &str| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            osa_distance(&a, &b)
        };
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("ca", "abc"), 3);
        assert_eq!(d("same", "same"), 0);
    }
}
