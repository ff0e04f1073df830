//! Images built by the engine from an in-memory context, `FROM scratch`: the one every
//! replayed pod runs (a static `pause` binary compiled from `pause.c` by build.rs), and the
//! one `sim image` builds for sweeps on a cluster (a static `sim` and a scenario's files).

use super::tar::TarBuilder;

/// The static pause binary, or `None` when build.rs found no working C compiler.
#[cfg(not(clustersim_no_pause))]
pub const PAUSE_BINARY: Option<&[u8]> = Some(include_bytes!(concat!(env!("OUT_DIR"), "/pause")));
#[cfg(clustersim_no_pause)]
pub const PAUSE_BINARY: Option<&[u8]> = None;

/// The Dockerfile. It carries no label: containers get the replay's label when the replay
/// creates them, so a container someone else starts from this image has none.
pub const DOCKERFILE: &str = "FROM scratch\nCOPY pause /pause\nENTRYPOINT [\"/pause\"]\n";

/// The build context (a tar archive): the Dockerfile and the pause binary.
pub fn build_context(pause: &[u8]) -> Result<Vec<u8>, String> {
    let mut tar = TarBuilder::default();
    tar.file("Dockerfile", 0o644, DOCKERFILE.as_bytes())?;
    tar.file("pause", 0o755, pause)?;
    Ok(tar.finish())
}

/// Whether `elf` is a statically linked executable: a 64-bit little-endian ELF file with a
/// loadable segment and no `PT_INTERP` program header (the one naming the dynamic loader).
pub fn is_static_executable(elf: &[u8]) -> Result<bool, String> {
    if elf.len() < 0x40 || &elf[..4] != b"\x7fELF" {
        return Err("not an ELF executable".into());
    }
    if elf[4] != 2 || elf[5] != 1 {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([elf[at], elf[at + 1]]));
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    let mut types = Vec::with_capacity(phnum);
    for i in 0..phnum {
        let at = phoff.saturating_add(i.saturating_mul(phentsize));
        let Some(field) = elf.get(at..at.saturating_add(4)) else {
            return Err("its program headers run past the end of the file".into());
        };
        types.push(u32::from_le_bytes(field.try_into().expect("4 bytes")));
    }
    const PT_LOAD: u32 = 1;
    const PT_INTERP: u32 = 3;
    if !types.contains(&PT_LOAD) {
        return Err("it has no loadable segment".into());
    }
    Ok(!types.contains(&PT_INTERP))
}

/// The Dockerfile of a sweep image: everything under `rootfs/` lands at `/`.
pub fn sim_dockerfile() -> String {
    "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/sim\"]\n".to_string()
}

/// The build context of a sweep image: `sim` at `/sim` and each `(image path, bytes)` file.
pub fn sim_build_context(sim: &[u8], files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut tar = TarBuilder::default();
    tar.file("Dockerfile", 0o644, sim_dockerfile().as_bytes())?;
    tar.file("rootfs/sim", 0o755, sim)?;
    for (image_path, data) in files {
        let relative = image_path.trim_start_matches('/');
        if relative.is_empty() || relative == "sim" {
            return Err(format!("{image_path} cannot be a scenario file's place in the image"));
        }
        tar.file(&format!("rootfs/{relative}"), 0o644, data)
            .map_err(|_| format!("{image_path}: the path is too long for the image's tar context (255 bytes)"))?;
    }
    Ok(tar.finish())
}

/// The tag `sim image` gives a scenario's image by default, and the one `sim sweep
/// --emit-job` assumes: `clustersim-<scenario name>:<12 hex digits>` of the scenario's hash
/// and the binary's build id, so a changed scenario or binary never reuses a tag that nodes
/// may have cached.
pub fn default_tag(scenario_name: &str, scenario_hash: &str, build_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let name = super::job::dns_label(scenario_name);
    let digest = Sha256::digest(format!("{scenario_hash}\n{build_id}").as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("clustersim-{name}:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_holds_the_dockerfile_then_the_binary() {
        let context = build_context(b"\x7fELF").unwrap();
        assert_eq!(&context[..10], b"Dockerfile");
        assert_eq!(&context[512..512 + DOCKERFILE.len()], DOCKERFILE.as_bytes());
        assert!(!DOCKERFILE.contains("LABEL"), "the image carries no run label");
        assert_eq!(&context[1024..1029], b"pause");
        assert_eq!(&context[1536..1540], b"\x7fELF");
        assert_eq!(context.len(), 6 * 512);
    }

    #[cfg(not(clustersim_no_pause))]
    #[test]
    fn the_embedded_pause_binary_is_a_static_elf_executable() {
        assert_eq!(is_static_executable(PAUSE_BINARY.unwrap()), Ok(true));
    }

    #[test]
    fn dynamic_executables_and_other_files_are_told_apart() {
        // The test binary itself is linked dynamically (the glibc target without crt-static).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        if cfg!(all(target_os = "linux", not(target_feature = "crt-static"))) {
            assert_eq!(is_static_executable(&me), Ok(false));
        }
        assert!(is_static_executable(b"#!/bin/sh\necho hi\n").is_err());
        assert!(is_static_executable(&me[..0x40]).is_err(), "program headers cut off");
    }

    #[test]
    fn default_tags_are_valid_references_that_follow_scenario_and_binary() {
        let tag = default_tag("Failover", "abc", "sha256:01");
        assert!(tag.starts_with("clustersim-failover:") && tag.len() == "clustersim-failover:".len() + 12, "{tag}");
        assert_eq!(default_tag("Failover", "abc", "sha256:01"), tag);
        assert_ne!(default_tag("Failover", "abd", "sha256:01"), tag);
        assert_ne!(default_tag("Failover", "abc", "sha256:02"), tag);
        assert!(default_tag("  My_Scenario!! v2 ", "a", "b").starts_with("clustersim-my-scenario-v2:"));
        assert!(default_tag("!!!", "a", "b").starts_with("clustersim-scenario:"));
    }

    #[test]
    fn sweep_image_context_puts_sim_and_the_files_under_rootfs() {
        let files =
            vec![("/scenario/s.yaml".to_string(), b"name: s\n".to_vec()), ("/data/r.csv".into(), b"t\n".to_vec())];
        let entries = super::super::tar::read_archive(&sim_build_context(b"\x7fELF", &files).unwrap()).unwrap();
        let paths: Vec<String> = entries
            .iter()
            .map(|e| match e {
                super::super::tar::Entry::File { path, .. } | super::super::tar::Entry::Dir { path } => path.clone(),
            })
            .collect();
        assert_eq!(paths, ["Dockerfile", "rootfs/sim", "rootfs/scenario/s.yaml", "rootfs/data/r.csv"]);
        assert!(sim_build_context(b"", &[("/sim".into(), vec![])]).is_err());
        assert!(sim_build_context(b"", &[(format!("/{}", "a".repeat(100)), vec![])]).is_err());
        assert!(sim_build_context(b"", &[(format!("/{}/b", "a".repeat(100)), vec![])]).is_ok());
    }
}
