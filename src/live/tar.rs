//! A minimal ustar (POSIX.1-1988) writer for in-memory build contexts: regular files only,
//! each a 512-byte header then its data padded to 512 bytes, two zero blocks at the end.
//! And a reader for what the engine sends back (`GET /containers/{id}/archive`): regular
//! files and folders, long names from pax (`x`) and GNU (`L`) headers.

const BLOCK: usize = 512;

/// An archive being built in memory.
#[derive(Default)]
pub struct TarBuilder {
    bytes: Vec<u8>,
}

impl TarBuilder {
    /// Appends a regular file. `name` must be a relative path shorter than 100 bytes, or
    /// one that a `/` splits into at most 155 bytes (the ustar prefix) and fewer than 100.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> Result<(), String> {
        let refused = || format!("tar entry name {name:?} must be relative and fit ustar's 100 + 155 bytes");
        if name.is_empty() || name.starts_with('/') {
            return Err(refused());
        }
        let mut h = if name.len() < 100 {
            header(name, mode, data.len() as u64)
        } else {
            let split = name
                .match_indices('/')
                .map(|(i, _)| i)
                .find(|&i| i <= 155 && (1..100).contains(&(name.len() - i - 1)))
                .ok_or_else(refused)?;
            let mut h = header(&name[split + 1..], mode, data.len() as u64);
            h[345..345 + split].copy_from_slice(&name.as_bytes()[..split]);
            h
        };
        set_checksum(&mut h);
        self.bytes.extend_from_slice(&h);
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

/// One member of an archive read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File { path: String, data: Vec<u8> },
    Dir { path: String },
}

/// The files and folders of an archive, in order; links and devices are left out.
pub fn read_archive(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    let mut at = 0;
    let mut long_name: Option<String> = None;
    while at + BLOCK <= bytes.len() {
        let h = &bytes[at..at + BLOCK];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        let stored = parse_octal(&h[148..156]).ok_or_else(|| format!("tar header at byte {at}: bad checksum field"))?;
        let sum: u64 =
            h.iter().enumerate().map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) }).sum();
        if stored != sum {
            return Err(format!("tar header at byte {at}: checksum {stored} but the header sums to {sum}"));
        }
        let size = parse_octal(&h[124..136]).ok_or_else(|| format!("tar header at byte {at}: bad size"))? as usize;
        let data_start = at + BLOCK;
        let data_end = data_start.checked_add(size).filter(|&e| e <= bytes.len()).ok_or_else(|| {
            format!("tar member at byte {at} claims {size} bytes but the archive ends at {}", bytes.len())
        })?;
        let data = &bytes[data_start..data_end];
        at = data_start + size.div_ceil(BLOCK) * BLOCK;
        let text = |range: std::ops::Range<usize>| {
            let field = &h[range];
            let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
            String::from_utf8_lossy(&field[..end]).into_owned()
        };
        let typeflag = h[156];
        match typeflag {
            b'x' => {
                long_name = pax_path(data).or(long_name);
                continue;
            }
            b'L' => {
                let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                long_name = Some(String::from_utf8_lossy(&data[..end]).into_owned());
                continue;
            }
            b'g' => continue,
            _ => {}
        }
        let path = long_name.take().unwrap_or_else(|| {
            let (prefix, name) = (text(345..500), text(0..100));
            if &h[257..262] == b"ustar" && !prefix.is_empty() {
                format!("{prefix}/{name}")
            } else {
                name
            }
        });
        match typeflag {
            b'0' | 0 | b'7' => entries.push(Entry::File { path, data: data.to_vec() }),
            b'5' => entries.push(Entry::Dir { path: path.trim_end_matches('/').to_string() }),
            _ => {}
        }
    }
    Ok(entries)
}

/// The `path` record of a pax extended header (`<len> path=<value>\n` records).
fn pax_path(data: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .find_map(|record| record.split_once(' ').and_then(|(_, kv)| kv.strip_prefix("path=")).map(str::to_string))
}

/// An octal field: digits, possibly padded with spaces and NULs.
fn parse_octal(field: &[u8]) -> Option<u64> {
    let text: String = field.iter().map(|&b| b as char).collect();
    let digits = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if digits.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(digits, 8).ok()
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
    set_checksum(&mut h);
    h
}

/// The checksum is the byte sum of the header with its own field read as 8 spaces, written
/// as 6 octal digits, NUL, space.
fn set_checksum(h: &mut [u8; BLOCK]) {
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let digits = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(digits.as_bytes());
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
    fn archives_read_back_with_long_names_and_folders() {
        let mut tar = TarBuilder::default();
        tar.file("results/shard-0/shard.json", 0o644, b"{}").unwrap();
        tar.file("results/x", 0o644, &[1u8; 1000]).unwrap();
        let mut bytes = tar.finish();
        // A folder, then a pax header naming the next member, spliced in front.
        let mut dir = header("results/", 0o755, 0);
        dir[156] = b'5';
        set_checksum(&mut dir);
        let long = format!("results/{}/deep.json", "d".repeat(120));
        let record = format!("path={long}\n");
        let record = format!("{} {record}", record.len() + 3);
        let mut pax = header("PaxHeaders/deep", 0o644, record.len() as u64);
        pax[156] = b'x';
        set_checksum(&mut pax);
        let mut front = dir.to_vec();
        front.extend_from_slice(&pax);
        front.extend_from_slice(record.as_bytes());
        front.resize(front.len().div_ceil(BLOCK) * BLOCK, 0);
        front.extend_from_slice(&header("ignored-name", 0o644, 3));
        front.extend_from_slice(b"abc");
        front.resize(front.len().div_ceil(BLOCK) * BLOCK, 0);
        front.append(&mut bytes);
        let entries = read_archive(&front).unwrap();
        assert_eq!(
            entries,
            [
                Entry::Dir { path: "results".into() },
                Entry::File { path: long, data: b"abc".to_vec() },
                Entry::File { path: "results/shard-0/shard.json".into(), data: b"{}".to_vec() },
                Entry::File { path: "results/x".into(), data: vec![1u8; 1000] },
            ]
        );
        // A damaged header or a truncated member is an error, not a panic.
        let mut damaged = front.clone();
        damaged[10] ^= 1;
        assert!(read_archive(&damaged).unwrap_err().contains("checksum"));
        assert!(read_archive(&front[..front.len() - 1500]).is_err());
    }

    #[test]
    fn names_that_do_not_fit_are_refused() {
        let mut tar = TarBuilder::default();
        assert!(tar.file(&"a".repeat(100), 0o644, b"").is_err());
        assert!(tar.file("/etc/passwd", 0o644, b"").is_err());
        assert!(tar.file("", 0o644, b"").is_err());
        assert!(tar.file(&"a".repeat(99), 0o644, b"").is_ok());
        assert!(tar.file(&format!("{}/{}", "p".repeat(156), "n"), 0o644, b"").is_err(), "prefix too long");
        assert!(tar.file(&format!("{}/{}", "p".repeat(20), "n".repeat(100)), 0o644, b"").is_err(), "name too long");
    }

    #[test]
    fn long_names_go_to_the_ustar_prefix() {
        let long = format!("rootfs/{}/{}.json", "d".repeat(120), "n".repeat(60));
        let mut tar = TarBuilder::default();
        tar.file(&long, 0o644, b"x").unwrap();
        let entries = read_archive(&tar.finish()).unwrap();
        assert_eq!(entries, [Entry::File { path: long, data: b"x".to_vec() }]);
    }
}
