//! The loader never panics, aborts or hangs: a valid scenario with random bytes deleted,
//! inserted or replaced, or with hostile forms spliced in (alias bombs, anchor chains,
//! nesting 30,000 deep, huge numbers, unsupported tags, invalid UTF-8, a cut-off end),
//! either loads or fails with a diagnostic that carries a hint and a position inside the
//! file it names. Non-regular inputs (FIFOs, devices, folders) are refused without
//! blocking.
//!
//! CI runs `LOADER_FUZZ_CASES` (default 300) cases per property; raise it by hand for a
//! longer run, e.g. `LOADER_FUZZ_CASES=20000 cargo test --release --test loader_fuzz`.

mod common;
use clustersim::scenario::{load_scenario, Diagnostic, Span};
use proptest::prelude::*;
use std::path::Path;

/// (scenario, the manifest file it names, that file's text)
const BASES: [(&str, &str, &str); 2] = [
    (include_str!("../scenarios/failover.yaml"), "manifests/web.yaml", include_str!("../scenarios/manifests/web.yaml")),
    (
        include_str!("../scenarios/surge-autoscale.yaml"),
        "manifests/shop.yaml",
        include_str!("../scenarios/manifests/shop.yaml"),
    ),
];

fn cases() -> u32 {
    std::env::var("LOADER_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// Writes the scenario and its manifest (either may be mutated) and loads it.
fn load(scenario: &[u8], manifest: &str, manifest_text: &[u8]) -> (Result<(), Diagnostic>, Vec<(String, usize)>) {
    let dir = common::scratch("fuzz");
    std::fs::create_dir_all(dir.join("manifests")).unwrap();
    std::fs::write(dir.join(manifest), manifest_text).unwrap();
    std::fs::write(dir.join("s.yaml"), scenario).unwrap();
    // Lines as YAML counts them: `\r\n`, `\r` and `\n` each end one.
    let lines = |bytes: &[u8]| {
        let breaks = bytes.iter().filter(|b| **b == b'\n' || **b == b'\r').count()
            - bytes.windows(2).filter(|w| *w == b"\r\n").count();
        let open_last = bytes.last().is_some_and(|b| *b != b'\n' && *b != b'\r');
        (breaks + usize::from(open_last)).max(1)
    };
    let files = vec![
        (dir.join("s.yaml").display().to_string(), lines(scenario)),
        (dir.join(manifest).display().to_string(), lines(manifest_text)),
    ];
    let result = load_scenario(&dir.join("s.yaml"), &[]).map(|_| ());
    let _ = std::fs::remove_dir_all(&dir);
    (result, files)
}

/// A failure carries a message, a hint, and a position on a line of the file it names
/// (never one past its end), or names the file as a whole.
fn check_diagnostic(d: &Diagnostic, files: &[(String, usize)]) -> Result<(), TestCaseError> {
    prop_assert!(!d.message.is_empty());
    prop_assert!(d.hint.is_some(), "every error carries a hint: {}", d);
    if d.span == Span::WHOLE_FILE {
        return Ok(());
    }
    prop_assert!(d.span.line >= 1 && d.span.col >= 1, "located: {}", d);
    let file = d.file.display().to_string();
    if let Some((_, lines)) = files.iter().find(|(f, _)| *f == file) {
        prop_assert!(d.span.line as usize <= *lines, "line {} of a {lines}-line file: {}", d.span.line, d);
    }
    Ok(())
}

/// A hostile fragment: `kind` picks the form, `n` scales it.
fn hostile(kind: u8, n: usize) -> Vec<u8> {
    let n = n.max(1);
    match kind {
        // Billion laughs: each level aliases the previous one 9 times.
        0 => {
            let mut s = String::from("{l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]");
            for i in 1..=9 + n % 8 {
                s.push_str(&format!(", l{i}: &l{i} [{}]", vec![format!("*l{}", i - 1); 9].join(", ")));
            }
            s.push('}');
            s.into_bytes()
        }
        // A chain of anchors, each aliasing the previous one.
        1 => {
            let mut s = String::from("[&c0 [x]");
            for i in 1..2_000 + n {
                s.push_str(&format!(", &c{i} [*c{}]", i - 1));
            }
            s.push(']');
            s.into_bytes()
        }
        2 => format!("\n  {}x\n", "- ".repeat(30_000 + n)).into_bytes(),
        3 => "[".repeat(30_000 + n).into_bytes(),
        4 => "{a: ".repeat(1_000 + n).into_bytes(),
        5 => {
            let mut s = String::from("\n");
            for i in 0..(150 + n % 100) {
                s.push_str(&format!("{}k{i}:\n", " ".repeat(i + 2)));
            }
            s.into_bytes()
        }
        6 => "9".repeat(40 + n % 200).into_bytes(),
        7 => [
            "1e999",
            ".inf",
            "-.inf",
            ".nan",
            "1e30",
            "-0",
            "0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "0o777777777777777777777777777777777777777777777",
        ][n % 8]
            .as_bytes()
            .to_vec(),
        8 => [
            "!!binary aGk=",
            "!Ref x",
            "!!int x",
            "!!float y",
            "!!str 42",
            "!!int 0x2A",
            "!!seq {a: 1}",
            "!<tag:yaml.org,2002:int> 7",
            "!!map 3",
            "! 5",
        ][n % 10]
            .as_bytes()
            .to_vec(),
        9 => [&b"\xff"[..], b"\xc3", b"\xc0\x80", b"\xed\xa0\x80", b"a\xf4\x90\x80\x80b", b"\xfe\xff"][n % 6].to_vec(),
        10 => [&b"\0"[..], b"\x07\x1b[31m", b"\t", b"\r", b"\xef\xbb\xbf", b"\xe2\x80\xa8"][n % 6].to_vec(),
        11 => "y".repeat(100_000 * (1 + n % 5)).into_bytes(),
        12 => b"*nope".to_vec(),
        _ => b"&a".to_vec(),
    }
}

/// Where a fragment goes: at a byte position, after a random `: ` (as a value), or
/// under an unknown key at the end (parsed in full before the key is refused).
fn splice(base: &[u8], fragment: &[u8], mode: u8, pos: usize) -> Vec<u8> {
    let mut out = base.to_vec();
    match mode {
        0 => {
            let at = pos % (out.len() + 1);
            out.splice(at..at, fragment.iter().copied());
        }
        1 => {
            let values: Vec<usize> =
                base.windows(2).enumerate().filter(|(_, w)| w == b": ").map(|(i, _)| i + 2).collect();
            let at = values.get(pos % values.len().max(1)).copied().unwrap_or(out.len());
            // Replace the value up to the end of its line.
            let end = out[at..].iter().position(|b| *b == b'\n').map_or(out.len(), |e| at + e);
            out.splice(at..end, fragment.iter().copied());
        }
        2 => {
            out.extend_from_slice(b"unknownKey: ");
            out.extend_from_slice(fragment);
            out.push(b'\n');
        }
        // Cut the file short.
        _ => out.truncate(pos % (out.len() + 1)),
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

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
        let (result, files) = load(text.as_bytes(), manifest, manifest_text.as_bytes());
        if let Err(d) = result {
            check_diagnostic(&d, &files)?;
        }
    }

    #[test]
    fn random_bytes_including_invalid_utf8_load_or_fail_cleanly(base in 0usize..2, manifest_side in any::<bool>(), edits in proptest::collection::vec((0usize..6000, 0u8..3, any::<u8>()), 1..8)) {
        let (scenario, manifest, manifest_text) = BASES[base];
        let mut bytes = if manifest_side { manifest_text } else { scenario }.as_bytes().to_vec();
        for (pos, kind, b) in edits {
            let at = pos % (bytes.len() + 1);
            match kind {
                0 if at < bytes.len() => { bytes.remove(at); }
                1 => bytes.insert(at, b),
                _ if at < bytes.len() => bytes[at] = b,
                _ => {}
            }
        }
        let (result, files) = if manifest_side {
            load(scenario.as_bytes(), manifest, &bytes)
        } else {
            load(&bytes, manifest, manifest_text.as_bytes())
        };
        if let Err(d) = result {
            check_diagnostic(&d, &files)?;
        }
    }

    #[test]
    fn hostile_forms_fail_cleanly_or_load(base in 0usize..2, manifest_side in any::<bool>(), kind in 0u8..14, n in 0usize..1000, mode in 0u8..4, pos in 0usize..6000) {
        let (scenario, manifest, manifest_text) = BASES[base];
        let fragment = hostile(kind, n);
        let target = if manifest_side { manifest_text } else { scenario };
        let bytes = splice(target.as_bytes(), &fragment, mode, pos);
        let (result, files) = if manifest_side {
            load(scenario.as_bytes(), manifest, &bytes)
        } else {
            load(&bytes, manifest, manifest_text.as_bytes())
        };
        if let Err(d) = &result {
            check_diagnostic(d, &files)?;
        }
        // Under an unknown key at the end of the scenario, the bombs, chains and deep
        // forms are refused by the parser's bounds before the key is even looked at.
        if mode == 2 && !manifest_side && kind <= 5 {
            let d = result.expect_err("an unknown key never loads");
            prop_assert!(!d.message.contains("unknown key"), "kind {kind} passed the parser: {d}");
        }
    }
}

/// FIFOs, devices, folders and symlinks to devices in every place a file is named:
/// refused without blocking (a blocking open of a FIFO with no writer would hang here).
#[test]
fn non_regular_inputs_are_refused_without_blocking() {
    let dir = common::scratch("fuzz-special");
    let fifo = dir.join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink("/dev/urandom", dir.join("random")).unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    let head = "name: t\nduration: 5m\ncluster:\n  nodePools:\n    - {name: worker, count: 2, capacity: {cpu: \"2\", memory: 4Gi}}\n";
    let specials = ["pipe", "random", "folder", "/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin"];
    let places = [
        "manifests: [{file: X}]\n",
        "timeline: [{at: 1m, apply: {file: X}}]\n",
        "traffic: [{service: web, trace: X}]\n",
        "serving: {web: {serviceTime: {empirical: X}}}\n",
    ];
    let mut tried = 0;
    for special in specials {
        for place in places {
            std::fs::write(dir.join("s.yaml"), format!("{head}{}", place.replace('X', special))).unwrap();
            let err = load_scenario(&dir.join("s.yaml"), &[]).err().unwrap_or_else(|| panic!("{special} in {place}"));
            let text = err.to_string();
            // /dev/stdin may be a file or a pipe depending on how the tests run.
            if special != "/dev/stdin" {
                assert!(text.contains("not a regular file"), "{special} in {place}: {text}");
                assert_eq!(err.span.line, 6, "{text}");
            }
            assert!(err.hint.is_some(), "{text}");
            tried += 1;
        }
        // The scenario path itself.
        let path = if special.starts_with('/') { Path::new(special).to_path_buf() } else { dir.join(special) };
        let err = load_scenario(&path, &[]).err().expect("a non-regular scenario is refused");
        if special != "/dev/stdin" {
            assert_eq!(err.span, Span::WHOLE_FILE, "{err}");
            assert!(err.to_string().contains("cannot read the scenario file: not a regular file"), "{err}");
        }
    }
    assert_eq!(tried, specials.len() * places.len());
    std::fs::remove_dir_all(&dir).unwrap();
}
