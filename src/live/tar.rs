//! A minimal ustar (POSIX.1-1988) writer for in-memory build contexts: regular files only,
//! each a 512-byte header then its data padded to 512 bytes, two zero blocks at the end.

const BLOCK: usize = 512;

/// An archive being built in memory.
#[derive(Default)]
pub struct TarBuilder {
    bytes: Vec<u8>,
}

impl TarBuilder {
    /// Appends a regular file. `name` must be a relative path shorter than 100 bytes.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> Result<(), String> {
        if name.is_empty() || name.len() >= 100 || name.starts_with('/') {
            return Err(format!("tar entry name {name:?} must be relative and 1..99 bytes long"));
        }
        self.bytes.extend_from_slice(&header(name, mode, data.len() as u64));
        self.bytes.extend_from_slice(data);
        let padding = (BLOCK - data.len() % BLOCK) % BLOCK;
        self.bytes.resize(self.bytes.len() + padding, 0);
        Ok(())
    }

    /// The archive with its end-of-archive marker.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.resize(self.bytes.len() + 2 * BLOCK, 0);
        self.bytes
    }
}

/// The ustar header of a regular file owned by root, modification time 0.
fn header(name: &str, mode: u32, size: u64) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], u64::from(mode)); // mode
    octal(&mut h[108..116], 0); // uid
    octal(&mut h[116..124], 0); // gid
    octal(&mut h[124..136], size); // size
    octal(&mut h[136..148], 0); // mtime
    h[156] = b'0'; // typeflag: regular file
    h[257..263].copy_from_slice(b"ustar\0"); // magic
    h[263..265].copy_from_slice(b"00"); // version
    h[265..269].copy_from_slice(b"root"); // uname
    h[297..301].copy_from_slice(b"root"); // gname
                                          // The checksum is the byte sum of the header with its own field read as 8 spaces,
                                          // written as 6 octal digits, NUL, space.
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let digits = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(digits.as_bytes());
    h
}

/// Zero-padded octal digits filling `field` but its last byte, then NUL.
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let digits = format!("{value:0width$o}");
    field[..width].copy_from_slice(&digits.as_bytes()[digits.len() - width..]);
    field[width] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], range: std::ops::Range<usize>) -> &str {
        std::str::from_utf8(&h[range]).unwrap().trim_end_matches(['\0', ' '])
    }

    #[test]
    fn header_fields_sit_at_the_ustar_offsets() {
        let mut tar = TarBuilder::default();
        tar.file("pause", 0o755, &[7u8; 700]).unwrap();
        tar.file("Dockerfile", 0o644, b"FROM scratch\n").unwrap();
        let bytes = tar.finish();
        // header, 2 data blocks, header, 1 data block, 2 end blocks
        assert_eq!(bytes.len(), 7 * 512);
        let h = &bytes[..512];
        assert_eq!(field(h, 0..100), "pause");
        assert_eq!(field(h, 100..108), "0000755");
        assert_eq!(field(h, 124..136), "00000001274"); // 700
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(&bytes[512..1212], &[7u8; 700][..]);
        assert!(bytes[1212..1536].iter().all(|&b| b == 0));
        let second = &bytes[1536..2048];
        assert_eq!(field(second, 0..100), "Dockerfile");
        assert_eq!(field(second, 124..136), "00000000015");
        assert_eq!(&bytes[2048..2061], b"FROM scratch\n");
        assert!(bytes[5 * 512..].iter().all(|&b| b == 0));
    }

    #[test]
    fn checksum_is_the_byte_sum_with_the_field_as_spaces() {
        let mut tar = TarBuilder::default();
        tar.file("Dockerfile", 0o644, b"x").unwrap();
        let bytes = tar.finish();
        let h = &bytes[..512];
        assert_eq!(&h[154..156], b"\0 ");
        let stored = u32::from_str_radix(field(h, 148..154), 8).unwrap();
        let sum: u32 =
            h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u32::from(b) }).sum();
        assert_eq!(stored, sum);
    }

    #[test]
    fn names_that_do_not_fit_are_refused() {
        let mut tar = TarBuilder::default();
        assert!(tar.file(&"a".repeat(100), 0o644, b"").is_err());
        assert!(tar.file("/etc/passwd", 0o644, b"").is_err());
        assert!(tar.file("", 0o644, b"").is_err());
        assert!(tar.file(&"a".repeat(99), 0o644, b"").is_ok());
    }
}
