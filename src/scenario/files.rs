//! The files a scenario reads, and where they go in a container image (`sim image`): the
//! scenario at `/scenario/<its name>`, every other file where the scenario's paths lead from
//! there, so the image loads the same scenario with the same paths.
//!
//! Which strings are paths is not listed field by field: every scalar of the scenario's
//! YAML (after `--set`) that names an existing regular file next to the scenario counts.
//! A stray match only adds a file to the image; the image is checked by loading the
//! scenario in it (`sim image` runs `sim validate` there).

use super::diag::{Diagnostic, Span};
use super::overrides::apply_override;
use super::yaml::{parse_documents, Node, Value};
use std::path::{Component, Path, PathBuf};

/// Where the scenario file sits in an image.
pub const IMAGE_SCENARIO_DIR: &str = "/scenario";

/// A file the scenario reads: where it is here and where it goes in the image (an
/// absolute, normalised path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioFile {
    pub host: PathBuf,
    pub image: String,
}

/// The image path of the scenario `path` itself.
pub fn image_scenario_path(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "scenario.yaml".into());
    format!("{IMAGE_SCENARIO_DIR}/{name}")
}

/// The scenario file first, then each file it names, in the order they appear, once each.
/// Two different files that would land on the same image path are an error.
pub fn scenario_files(path: &Path, overrides: &[String]) -> Result<Vec<ScenarioFile>, Diagnostic> {
    let text = super::input::read_input(path, super::input::MAX_INPUT_BYTES)
        .map_err(|e| e.diagnostic(path, None, "the scenario file"))?;
    let mut docs = parse_documents(&text, path)?;
    let mut root = match docs.len() {
        0 => Node { value: Value::Null, span: Span::default() },
        _ => docs.remove(0),
    };
    for (i, o) in overrides.iter().enumerate() {
        apply_override(&mut root, o, i, path)?;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut files = vec![ScenarioFile { host: path.to_path_buf(), image: image_scenario_path(path) }];
    let mut scalars = Vec::new();
    collect_scalars(&root, &mut scalars);
    for (text, span) in scalars {
        if text.is_empty() || text.contains('\n') || text.contains('\0') {
            continue;
        }
        let host = dir.join(&text);
        if !host.is_file() {
            continue;
        }
        let image = if Path::new(&text).is_absolute() {
            normalise(Path::new(&text))
        } else {
            normalise(&Path::new(IMAGE_SCENARIO_DIR).join(&text))
        };
        match files.iter().find(|f| f.image == image) {
            Some(f) if same_file(&f.host, &host) => {}
            Some(f) => {
                return Err(Diagnostic::new(
                    path,
                    span,
                    format!("{text:?} and {} would both be {image} in the image", f.host.display()),
                )
                .with_hint("give the files different names or paths"));
            }
            None => files.push(ScenarioFile { host, image }),
        }
    }
    Ok(files)
}

fn collect_scalars(node: &Node, out: &mut Vec<(String, Span)>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| collect_scalars(n, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, n)| collect_scalars(n, out)),
        _ => {
            if let Some(text) = node.scalar_text() {
                out.push((text, node.span));
            }
        }
    }
}

/// `/scenario/../data/x.csv` -> `/data/x.csv`: `..` at the root stays at the root, as the
/// kernel resolves it (the image holds no symbolic links).
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    format!("/{}", parts.join("/"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_inside_the_image() {
        assert_eq!(normalise(Path::new("/scenario/./manifests/web.yaml")), "/scenario/manifests/web.yaml");
        assert_eq!(normalise(Path::new("/scenario/../data/x.csv")), "/data/x.csv");
        assert_eq!(normalise(Path::new("/scenario/../../../x.csv")), "/x.csv");
        assert_eq!(image_scenario_path(Path::new("scenarios/failover.yaml")), "/scenario/failover.yaml");
    }

    #[test]
    fn every_named_file_is_found_once_and_others_are_not() {
        let dir = std::env::temp_dir().join(format!("clustersim-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("scenarios/manifests")).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("scenarios/manifests/web.yaml"), "kind: Service\n").unwrap();
        std::fs::write(dir.join("data/rate.csv"), "t_seconds,rps\n0,1\n").unwrap();
        std::fs::write(dir.join("data/other.csv"), "t_seconds,rps\n0,2\n").unwrap();
        let scenario = dir.join("scenarios/s.yaml");
        std::fs::write(
            &scenario,
            "name: web\nmanifests:\n  - file: manifests/web.yaml\n  - file: ./manifests/web.yaml\n\
             traffic:\n  - {service: web, trace: ../data/rate.csv}\ntimeline: []\n",
        )
        .unwrap();
        let files = scenario_files(&scenario, &[]).unwrap();
        let images: Vec<&str> = files.iter().map(|f| f.image.as_str()).collect();
        assert_eq!(images, ["/scenario/s.yaml", "/scenario/manifests/web.yaml", "/data/rate.csv"]);
        assert_eq!(files[2].host, dir.join("scenarios/../data/rate.csv"));
        // An override that names another file brings that one instead.
        let files = scenario_files(&scenario, &["traffic.0.trace=../data/other.csv".into()]).unwrap();
        assert_eq!(files.last().unwrap().image, "/data/other.csv");
        // Two files competing for one image path are refused.
        std::fs::write(dir.join("scenarios/x.csv"), "").unwrap();
        std::fs::create_dir_all(dir.join("scenario")).unwrap();
        std::fs::write(dir.join("scenario/x.csv"), "").unwrap();
        std::fs::write(&scenario, "name: x\na: x.csv\nb: ../scenario/x.csv\n").unwrap();
        let err = scenario_files(&scenario, &[]).unwrap_err();
        assert!(err.message.contains("would both be"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
