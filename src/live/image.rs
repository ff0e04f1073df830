//! The image every replayed pod runs: a static `pause` binary (compiled from `pause.c` by
//! build.rs) in an otherwise empty image, built by the engine from an in-memory context.

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
        let pause = PAUSE_BINARY.unwrap();
        assert_eq!(&pause[..5], b"\x7fELF\x02", "a 64-bit ELF file");
        // A dynamically linked binary has a PT_INTERP (type 3) program header naming its loader.
        let u16_at = |at: usize| usize::from(u16::from_le_bytes([pause[at], pause[at + 1]]));
        let phoff = u64::from_le_bytes(pause[0x20..0x28].try_into().unwrap()) as usize;
        let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
        assert!(phnum > 0);
        let types: Vec<u32> = (0..phnum)
            .map(|i| {
                let at = phoff + i * phentsize;
                u32::from_le_bytes(pause[at..at + 4].try_into().unwrap())
            })
            .collect();
        assert!(types.contains(&1), "has a PT_LOAD segment: {types:?}");
        assert!(!types.contains(&3), "has no PT_INTERP: {types:?}");
    }
}
