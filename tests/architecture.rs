//! ARCHITECTURE.md's layering table is the truth about which module may use which: every
//! `crate::X` in a file under `src/X/` (or `src/X.rs`) must name a module its row allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The table between the layering markers: module -> modules it may use.
fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md")).unwrap();
    let start = text.find("<!-- layering:begin -->").expect("ARCHITECTURE.md has the layering table");
    let end = text.find("<!-- layering:end -->").expect("the layering table ends");
    let mut out = BTreeMap::new();
    for line in text[start..end].lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "module" || cells[0].starts_with("---") {
            continue;
        }
        let uses = cells.get(1).copied().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty());
        out.insert(cells[0].to_string(), uses.map(str::to_string).collect());
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::NAME` in `text` (a `use crate::{a, b}` group names each).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // e.g. `clustersim::` is not `crate::`
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_module_uses_only_what_architecture_md_allows() {
    let allowed = allowed();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut broken = Vec::new();
    for (module, may) in &allowed {
        let mut files = Vec::new();
        if src.join(module).is_dir() {
            rust_files(&src.join(module), &mut files);
        }
        if src.join(format!("{module}.rs")).is_file() {
            files.push(src.join(format!("{module}.rs")));
        }
        assert!(!files.is_empty(), "ARCHITECTURE.md names a module `{module}` that src/ does not have");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for used in crate_paths(&text) {
                if used != *module && !may.contains(&used) {
                    broken.push(format!("{} uses crate::{used}, which {module} may not", file.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken (see ARCHITECTURE.md, Layering):\n{}", broken.join("\n"));
}

#[test]
fn every_library_module_has_a_row() {
    let allowed = allowed();
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    for line in lib.lines().filter(|l| l.starts_with("pub mod ")) {
        let name = line.trim_start_matches("pub mod ").trim_end_matches(';');
        assert!(allowed.contains_key(name), "src/lib.rs has `{name}` but ARCHITECTURE.md's layering table does not");
    }
}

#[test]
fn the_reader_finds_grouped_and_plain_paths() {
    let found = crate_paths("use crate::{engine::Time, model};\nlet x = crate::world::run;\nclustersim::report::x");
    assert_eq!(found, ["engine", "model", "world"].into_iter().map(String::from).collect());
}
