//! Generated names as Kubernetes makes them: `web-7d4b9c8f5` and `web-7d4b9c8f5-x2x9k`.

use crate::engine::RandomStream;
use crate::model::PodTemplate;

/// Upstream: staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go (alphanums, no vowels
/// nor look-alikes, so names never spell words).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// The 5-character random suffix of a generated pod name.
pub fn pod_name_suffix(rng: &mut RandomStream) -> String {
    (0..5).map(|_| ALPHANUMS[rng.below(ALPHANUMS.len() as u64) as usize] as char).collect()
}

/// `pod-template-hash`: FNV-32a over the template, encoded like upstream's
/// SafeEncodeString. Upstream: pkg/controller/controller_utils.go (ComputeHash).
pub fn pod_template_hash(template: &PodTemplate, collision_count: u32) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let text = format!("{template:?}/{collision_count}");
    for b in text.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    // SafeEncodeString maps each character of the decimal form onto ALPHANUMS.
    hash.to_string().bytes().map(|b| ALPHANUMS[usize::from(b) % ALPHANUMS.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn hash_is_stable_and_changes_with_the_template() {
        let a = PodTemplate::default();
        let mut b = PodTemplate::default();
        b.labels.insert("app".into(), "web".into());
        assert_eq!(pod_template_hash(&a, 0), pod_template_hash(&a, 0));
        assert_ne!(pod_template_hash(&a, 0), pod_template_hash(&b, 0));
        assert!(pod_template_hash(&b, 0).bytes().all(|c| ALPHANUMS.contains(&c)));
    }

    #[test]
    fn suffix_uses_the_upstream_alphabet() {
        let mut rng = RngStreams::new(1).stream("names");
        let s = pod_name_suffix(&mut rng);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|c| ALPHANUMS.contains(&c)));
    }
}
