//! report.html and compare.html as a browser gets them: well-formed HTML that opens with
//! the verdict table, real tables instead of Markdown, plots with tooltip data, offline.

mod common;
use common::*;

/// Elements that have no end tag.
const VOID: &[&str] = &["meta", "br", "hr", "img", "input", "link", "wbr"];

/// Start and end tags in order, checked to nest properly; returns the start tags (name and
/// the text of the whole tag).
fn parse(html: &str) -> Vec<(String, String)> {
    let mut stack: Vec<String> = Vec::new();
    let mut starts = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->").expect("comment closes") + 3..];
            continue;
        }
        let end = rest.find('>').expect("every tag closes");
        let tag = &rest[..=end];
        rest = &rest[end + 1..];
        if tag.starts_with("<!") {
            continue;
        }
        let name: String = tag[1..].trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let name = name.to_ascii_lowercase();
        if tag.starts_with("</") {
            let open = stack.pop().unwrap_or_else(|| panic!("{tag} closes nothing"));
            assert_eq!(open, name, "{tag} closes <{open}>");
        } else {
            starts.push((name.clone(), tag.to_string()));
            if name == "script" || name == "style" {
                // Raw text up to the end tag.
                let close = format!("</{name}>");
                rest = &rest[rest.find(&close).expect("raw text element closes")..];
                stack.push(name);
            } else if !tag.ends_with("/>") && !VOID.contains(&name.as_str()) {
                stack.push(name);
            }
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    starts
}

/// The text outside tags.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

fn check_page(html: &str) -> Vec<(String, String)> {
    let starts = parse(html);
    let first_table = starts.iter().position(|(n, _)| n == "table").expect("a table");
    assert!(
        starts[first_table].1.contains("class=\"verdict\""),
        "the first table is the verdict: {}",
        starts[first_table].1
    );
    let first_svg = starts.iter().position(|(n, _)| n == "svg").expect("plots");
    assert!(first_table < first_svg, "the verdict comes before the plots");
    assert!(!starts.iter().any(|(n, _)| n == "pre"), "no preformatted Markdown");
    let visible = text(html);
    for markdown in ["|---", "| --- |", "**", "## ", "`"] {
        assert!(!visible.contains(markdown), "raw Markdown {markdown:?} in the page");
    }
    // Offline: no external scripts, styles, images or fonts.
    for (name, tag) in &starts {
        assert!(!(tag.contains(" src=") || (name == "link" && tag.contains("href="))), "external resource: {tag}");
    }
    assert!(starts.iter().any(|(n, t)| n == "svg" && t.contains("data-chart=")), "tooltip data on the plots");
    assert!(html.contains("addEventListener('mousemove'"), "the tooltip script is inline");
    starts
}

#[test]
fn report_html_opens_with_the_verdict_and_has_no_markdown() {
    let dir = scratch("report-html");
    let out = sim(&["run", "scenarios/quickstart.yaml", "--explain", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let starts = check_page(&html);
    let verdict = &html[html.find("<table class=\"verdict\">").unwrap()..];
    let verdict = &verdict[..verdict.find("</table>").unwrap()];
    assert_eq!(verdict.matches("badge pass").count(), 6, "one PASS per expectation: {verdict}");
    assert!(html.contains("<dt>pod startup p99</dt>") && html.contains("<dt>slowest recovery</dt>"));
    // --explain: a score table per placement.
    assert!(starts.iter().any(|(n, t)| n == "table" && t.contains("class=\"scores\"")));
    // Counts get whole-number ticks: no "0.5" tick on the pods-per-node plot.
    let pods = std::fs::read_to_string(dir.join("pods-per-node.svg")).unwrap();
    assert!(!pods.contains(">0.5</text>") && !pods.contains(">2.5</text>"), "fractional pod ticks");
    // Natural order in legends: worker-2 before worker-10 would need 10 nodes; here the
    // four workers appear in order.
    let order: Vec<usize> = (1..=4).map(|i| pods.find(&format!(">worker-{i}<title>")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
}

#[test]
fn compare_html_opens_with_the_verdict_and_panels() {
    let dir = scratch("compare-html");
    let out = sim(&[
        "compare",
        "scenarios/zone-outage.yaml",
        "--variant",
        "spread:controlPlane.scheduler.policy=spread",
        "--variant",
        "binpack:controlPlane.scheduler.policy=binpack",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(dir.join("compare.html")).unwrap();
    check_page(&html);
    assert_eq!(html.matches("<div class=\"panel\">").count(), 2);
    assert!(html.contains("Ready replicas: web (median seed of each variant)"));
    let md = std::fs::read_to_string(dir.join("compare.md")).unwrap();
    assert!(md.lines().all(|l| l.matches('|').count() <= 4), "compare.md is one column per variant:\n{md}");
}
