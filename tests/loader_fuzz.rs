//! The loader never panics: a valid scenario with random bytes deleted, inserted or
//! replaced either loads or fails with a located diagnostic.

mod common;
use proptest::prelude::*;

/// (scenario, the manifest file it names, that file's text)
const BASES: [(&str, &str, &str); 2] = [
    (include_str!("../scenarios/failover.yaml"), "manifests/web.yaml", include_str!("../scenarios/manifests/web.yaml")),
    (
        include_str!("../scenarios/surge-autoscale.yaml"),
        "manifests/shop.yaml",
        include_str!("../scenarios/manifests/shop.yaml"),
    ),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_load_or_fail_cleanly(base in 0usize..2, edits in proptest::collection::vec((0usize..4000, 0u8..3, proptest::char::range(' ', '~')), 1..6)) {
        let (scenario, manifest, manifest_text) = BASES[base];
        let mut text: Vec<char> = scenario.chars().collect();
        for (pos, kind, c) in edits {
            let at = pos % (text.len() + 1);
            match kind {
                0 if at < text.len() => { text.remove(at); }
                1 => text.insert(at, c),
                _ if at < text.len() => text[at] = c,
                _ => {}
            }
        }
        let text: String = text.into_iter().collect();
        let dir = common::scratch("fuzz");
        std::fs::create_dir_all(dir.join("manifests")).unwrap();
        std::fs::write(dir.join(manifest), manifest_text).unwrap();
        std::fs::write(dir.join("s.yaml"), &text).unwrap();
        match clustersim::scenario::load_scenario(&dir.join("s.yaml"), &[]) {
            Ok(_) => {}
            Err(d) => {
                prop_assert!(!d.message.is_empty());
                prop_assert!(d.hint.is_some(), "every error carries a hint: {}", d);
            }
        }
    }
}
