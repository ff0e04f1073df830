//! Dependency-free SVG line charts for the offline HTML report.
//!
//! Rendering is deterministic: the same [`Chart`] always yields byte-identical
//! output. The SVG uses no scripts and no external fonts, and works both as a
//! standalone file and inlined in HTML.

use std::fmt::Write as _;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const PLOT_LEFT: f64 = 64.0;
const PLOT_RIGHT: f64 = WIDTH - 18.0;
const PLOT_BOTTOM: f64 = HEIGHT - 38.0;
const TITLE_BASELINE: f64 = 20.0;
const LEGEND_BASELINE: f64 = 38.0;
const LEGEND_ROW: f64 = 15.0;
const LEGEND_MAX_ROWS: usize = 4;
const LEGEND_SWATCH: f64 = 18.0;
const LEGEND_GAP: f64 = 5.0;
const LEGEND_PAD: f64 = 14.0;
const LEGEND_MAX_CHARS: usize = 32;
/// Estimated average glyph width of 11px sans-serif text.
const CHAR_W: f64 = 6.2;
/// Estimated average glyph width of 9px sans-serif text (marker labels).
const MARKER_CHAR_W: f64 = 5.2;
/// Markers closer than this many pixels to the previous one share its label.
const MARKER_MERGE_PX: f64 = 11.0;
/// Okabe–Ito colorblind-safe palette, without the low-contrast yellow.
pub const PALETTE: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"];
/// Dash patterns applied once the palette wraps, giving 21 distinct styles.
const DASHES: [&str; 3] = ["", "6 3", "2 2"];

/// The report page's hover tooltips: plain inline JavaScript, no library, so the page
/// stays a single offline file. Each interactive chart carries its data in a
/// `data-chart` attribute (see [`Chart::to_svg`]).
pub const TOOLTIP_JS: &str = r#"(function(){
function esc(s){return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function fmtT(s){var h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=Math.round(s%60*1000)/1000;return (h?h+'h':'')+(h||m?m+'m':'')+x+'s';}
function at(p,t,step){if(!p.length||t<p[0][0])return null;var lo=0,hi=p.length-1;while(lo<hi){var mid=(lo+hi+1)>>1;if(p[mid][0]<=t)lo=mid;else hi=mid-1;}
if(step)return p[lo][1];var j=(lo+1<p.length&&Math.abs(p[lo+1][0]-t)<Math.abs(p[lo][0]-t))?lo+1:lo;return p[j][1];}
document.querySelectorAll('svg[data-chart]').forEach(function(svg){
var d;try{d=JSON.parse(svg.getAttribute('data-chart'));}catch(e){return;}
var fig=svg.parentNode,tip=document.createElement('div');tip.className='tip';fig.appendChild(tip);
var cur=document.createElementNS('http://www.w3.org/2000/svg','line');cur.setAttribute('stroke','#333');cur.setAttribute('stroke-width','1');
cur.setAttribute('y1',d.t);cur.setAttribute('y2',d.b);cur.style.display='none';svg.appendChild(cur);
function hide(){tip.style.display='none';cur.style.display='none';}
svg.addEventListener('mousemove',function(ev){var r=svg.getBoundingClientRect(),sx=(ev.clientX-r.left)*svg.viewBox.baseVal.width/r.width;
if(sx<d.l||sx>d.r){hide();return;}var t=(sx-d.l)/(d.r-d.l)*d.x,rows=['<b>'+fmtT(t)+'</b>'];
d.s.forEach(function(s){var v=at(s.p,t,s.k);if(v===null)return;var lo=s.lo?at(s.lo,t,s.k):null;
rows.push('<span style="color:'+s.c+'">&#9632;</span> '+esc(s.n)+': '+(lo===null?v:lo+' – '+v)+' '+esc(d.u));});
(d.m||[]).forEach(function(m){if(Math.abs(m[0]-t)/d.x*(d.r-d.l)<5)rows.push('&#9662; '+fmtT(m[0])+' '+esc(m[1]));});
tip.innerHTML=rows.join('<br>');tip.style.display='block';cur.setAttribute('x1',sx);cur.setAttribute('x2',sx);cur.style.display='';
var fr=fig.getBoundingClientRect(),fx=ev.clientX-fr.left,fy=ev.clientY-fr.top;
tip.style.left=(fx+16+tip.offsetWidth>fig.clientWidth?fx-16-tip.offsetWidth:fx+16)+'px';tip.style.top=(fy+12)+'px';});
svg.addEventListener('mouseleave',hide);});})();"#;

/// One line (or filled band) on a chart.
pub struct Series<'a> {
    /// Legend name.
    pub name: &'a str,
    /// `(time seconds, value)` points in drawing order; non-finite points are skipped.
    pub points: &'a [(f64, f64)],
    /// Draw as a step function (each value holds until the next point, the last until `x_max`).
    pub step: bool,
    pub style: Style,
    /// Fill down to these points (same x values) instead of drawing a line: a band.
    pub low: Option<&'a [(f64, f64)]>,
}

impl<'a> Series<'a> {
    /// A line in the next palette style.
    pub fn line(name: &'a str, points: &'a [(f64, f64)], step: bool) -> Self {
        Series { name, points, step, style: Style::default(), low: None }
    }

    pub fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
}

/// How a series is drawn; `None` fields take the palette's choice for its index.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Style {
    pub color: Option<&'static str>,
    pub dash: Option<&'static str>,
    pub width: Option<f64>,
    /// Fill the area under the line (or between it and `low`) with this opacity.
    pub fill: Option<f64>,
}

/// A vertical marker (a fault or a timeline action) at time x seconds.
pub struct Marker<'a> {
    /// Virtual time in seconds.
    pub x: f64,
    /// Short label; nearby markers' labels are merged.
    pub label: &'a str,
}

/// A line chart over virtual time.
pub struct Chart<'a> {
    /// Heading shown at the top.
    pub title: &'a str,
    /// Rotated label of the y axis.
    pub y_label: &'a str,
    /// Lines to draw, colored in order.
    pub series: Vec<Series<'a>>,
    /// Vertical event markers.
    pub markers: Vec<Marker<'a>>,
    /// End of the x axis in seconds; if not positive, the largest data x is used.
    pub x_max: f64,
    /// The values are counts: whole-number ticks only.
    pub integer: bool,
}

/// Markers get full-height lines up to this many groups, labels up to [`MARKER_LABELS`];
/// past that only ticks on the top edge (with tooltips), so they never bury the data.
const MARKER_LINES: usize = 24;
const MARKER_LABELS: usize = 12;

impl Chart<'_> {
    /// Whether the chart has anything to show: some finite point with a non-zero value.
    pub fn has_data(&self) -> bool {
        self.finite_points().any(|(_, y)| y != 0.0)
    }

    /// Renders the chart as a standalone 760x300 SVG document.
    pub fn to_svg(&self) -> String {
        let legend = Legend::layout(&self.series);
        let top = if legend.rows == 0 { 32.0 } else { LEGEND_BASELINE + (legend.rows - 1) as f64 * LEGEND_ROW + 14.0 };
        let y_max = self.finite_points().map(|(_, y)| y).fold(0.0, f64::max);
        let (y_top, y_step) = if self.integer { integer_scale(y_max) } else { y_scale(y_max) };
        let frame = Frame { top, x_end: self.x_end(), y_top };

        let mut out = String::with_capacity(8192);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" role=\"img\" data-chart=\"{data}\">\
             <title>{t}</title>\
             <rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\
             <text x=\"{l}\" y=\"{TITLE_BASELINE}\" font-size=\"14\" font-weight=\"bold\" \
             fill=\"#222\">{t}</text>",
            w = WIDTH,
            h = HEIGHT,
            t = escape(self.title),
            l = PLOT_LEFT,
            data = escape(&self.data_json(&frame)),
        );
        frame.write_axes(&mut out, y_step, self.y_label);
        // Bands and areas first, lines over them, markers' labels on top.
        for (i, s) in self.series.iter().enumerate().filter(|(_, s)| s.style.fill.is_some()) {
            write_series(&mut out, &frame, s, i);
        }
        for (i, s) in self.series.iter().enumerate().filter(|(_, s)| s.style.fill.is_none()) {
            write_series(&mut out, &frame, s, i);
        }
        self.write_markers(&mut out, &frame);
        legend.write(&mut out, &self.series);
        out.push_str("</svg>");
        out
    }

    /// The chart's data for the page's tooltips: the plot's pixel frame, the time axis,
    /// every series' points and the markers.
    fn data_json(&self, f: &Frame) -> String {
        let pts = |p: &[(f64, f64)]| -> String {
            let items: Vec<String> = thin(finite(p).collect(), f.x_end)
                .iter()
                .map(|(x, y)| format!("[{},{}]", num3(*x), num3(*y)))
                .collect();
            format!("[{}]", items.join(","))
        };
        let series: Vec<String> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let low = s.low.map_or(String::new(), |l| format!(",\"lo\":{}", pts(l)));
                format!(
                    "{{\"n\":{},\"c\":\"{}\",\"k\":{},\"p\":{}{low}}}",
                    crate::record::json_string(s.name),
                    series_color(s, i),
                    u8::from(s.step),
                    pts(s.points)
                )
            })
            .collect();
        let markers: Vec<String> = self
            .markers
            .iter()
            .filter(|m| m.x.is_finite() && m.x >= 0.0 && m.x <= f.x_end * (1.0 + 1e-9))
            .map(|m| format!("[{},{}]", num3(m.x), crate::record::json_string(m.label)))
            .collect();
        format!(
            "{{\"l\":{},\"r\":{},\"t\":{},\"b\":{},\"x\":{},\"u\":{},\"s\":[{}],\"m\":[{}]}}",
            num(PLOT_LEFT),
            num(PLOT_RIGHT),
            num(f.top),
            num(PLOT_BOTTOM),
            num3(f.x_end),
            crate::record::json_string(self.y_label),
            series.join(","),
            markers.join(",")
        )
    }

    fn finite_points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series.iter().flat_map(|s| finite(s.points))
    }

    /// The time shown at the right edge of the plot.
    fn x_end(&self) -> f64 {
        if self.x_max.is_finite() && self.x_max > 0.0 {
            return self.x_max;
        }
        let data_max = self.finite_points().map(|(x, _)| x).fold(0.0, f64::max);
        if data_max > 0.0 {
            data_max
        } else {
            60.0
        }
    }

    fn write_markers(&self, out: &mut String, f: &Frame) {
        let mut markers: Vec<&Marker> =
            self.markers.iter().filter(|m| m.x.is_finite() && m.x >= 0.0 && m.x <= f.x_end * (1.0 + 1e-9)).collect();
        markers.sort_by(|a, b| a.x.total_cmp(&b.x));

        // Groups of nearby markers: (pixel xs, distinct non-empty labels).
        let mut groups: Vec<(Vec<f64>, Vec<&str>)> = Vec::new();
        for m in markers {
            let px = f.px(m.x);
            let start_new = match groups.last() {
                Some((xs, _)) => px - xs[xs.len() - 1] >= MARKER_MERGE_PX,
                None => true,
            };
            if start_new {
                groups.push((Vec::new(), Vec::new()));
            }
            if let Some((xs, labels)) = groups.last_mut() {
                if xs.last().is_none_or(|&last| px - last > 0.5) {
                    xs.push(px);
                }
                let label = m.label.trim();
                if !label.is_empty() && !labels.contains(&label) {
                    labels.push(label);
                }
            }
        }

        let max_chars = (((PLOT_BOTTOM - f.top - 8.0) / MARKER_CHAR_W) as usize).max(4);
        let (lines, labelled) = (groups.len() <= MARKER_LINES, groups.len() <= MARKER_LABELS);
        let mut labels_svg = String::new();
        for (xs, labels) in &groups {
            let full = if labels.len() > 4 {
                format!("{} (+{} more)", labels[..3].join(", "), labels.len() - 3)
            } else {
                labels.join(", ")
            };
            for &px in xs {
                if lines {
                    let _ = write!(
                        out,
                        "<line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"#999\" \
                         stroke-width=\"1\" stroke-dasharray=\"4 3\" opacity=\"0.6\"/>",
                        x = num(px),
                        y1 = num(f.top),
                        y2 = num(PLOT_BOTTOM),
                    );
                }
                // A tick on the top edge, hoverable, for every marker.
                let _ = write!(
                    out,
                    "<path d=\"M{x} {y}l-3.5 -6h7z\" fill=\"#777\"><title>{t}</title></path>",
                    x = num(px),
                    y = num(f.top),
                    t = escape(&full),
                );
            }
            if labels.is_empty() || !labelled {
                continue;
            }
            let last = xs[xs.len() - 1];
            // Rotated text sits left of its anchor; put it right of the lines if it fits.
            let ax = if last + 10.0 <= WIDTH - 2.0 { last + 10.0 } else { xs[0] - 3.0 };
            let _ = write!(
                labels_svg,
                "<text transform=\"translate({x},{y}) rotate(-90)\" text-anchor=\"end\" \
                 font-size=\"9\" fill=\"#555\" stroke=\"#fff\" stroke-width=\"3\" \
                 stroke-linejoin=\"round\" paint-order=\"stroke\">{l}<title>{t}</title></text>",
                x = num(ax),
                y = num(f.top + 4.0),
                l = escape(&truncate(&full, max_chars)),
                t = escape(&full),
            );
        }
        if !lines {
            let _ = write!(
                labels_svg,
                "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">{n} events marked ▾ on top</text>",
                x = num(PLOT_RIGHT),
                y = num(PLOT_BOTTOM + 30.0),
                n = groups.iter().map(|(xs, _)| xs.len()).sum::<usize>(),
            );
        }
        // Labels are emitted after the lines so that they are painted on top of them.
        out.push_str(&labels_svg);
    }
}

/// Maps data coordinates to pixels.
struct Frame {
    top: f64,
    x_end: f64,
    y_top: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        PLOT_LEFT + (x / self.x_end).clamp(0.0, 1.0) * (PLOT_RIGHT - PLOT_LEFT)
    }

    fn py(&self, y: f64) -> f64 {
        PLOT_BOTTOM - (y / self.y_top).clamp(0.0, 1.0) * (PLOT_BOTTOM - self.top)
    }

    fn write_axes(&self, out: &mut String, y_step: f64, y_label: &str) {
        let n_y = ((self.y_top / y_step).round() as usize).min(50);
        for i in 0..=n_y {
            let v = i as f64 * y_step;
            let y = num(self.py(v));
            if i > 0 {
                let _ = write!(
                    out,
                    "<line x1=\"{PLOT_LEFT}\" y1=\"{y}\" x2=\"{PLOT_RIGHT}\" y2=\"{y}\" \
                     stroke=\"#e6e6e6\" stroke-width=\"1\"/>"
                );
            }
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"11\" \
                 fill=\"#444\">{v}</text>",
                x = PLOT_LEFT - 6.0,
                ty = num(self.py(v) + 4.0),
                v = format_value(v, self.y_top),
            );
        }

        let x_step = time_step(self.x_end);
        let n_x = ((self.x_end / x_step + 1e-9).floor() as usize).min(50);
        for i in 0..=n_x {
            let t = i as f64 * x_step;
            let x = num(self.px(t));
            let _ = write!(
                out,
                "<line x1=\"{x}\" y1=\"{PLOT_BOTTOM}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"#444\" \
                 stroke-width=\"1\"/><text x=\"{x}\" y=\"{ty}\" text-anchor=\"middle\" \
                 font-size=\"11\" fill=\"#444\">{l}</text>",
                y2 = PLOT_BOTTOM + 4.0,
                ty = PLOT_BOTTOM + 16.0,
                l = format_time_tick(t),
            );
        }

        let top = num(self.top);
        let _ = write!(
            out,
            "<path d=\"M{PLOT_LEFT} {top}V{PLOT_BOTTOM}H{PLOT_RIGHT}\" fill=\"none\" \
             stroke=\"#444\" stroke-width=\"1\"/>\
             <text transform=\"translate(16,{mid}) rotate(-90)\" text-anchor=\"middle\" \
             font-size=\"12\" fill=\"#222\">{yl}</text>\
             <text x=\"{cx}\" y=\"{by}\" text-anchor=\"middle\" font-size=\"11\" \
             fill=\"#666\">virtual time</text>",
            mid = num((self.top + PLOT_BOTTOM) / 2.0),
            yl = escape(y_label),
            cx = num((PLOT_LEFT + PLOT_RIGHT) / 2.0),
            by = HEIGHT - 5.0,
        );
    }
}

/// Placement of legend entries, wrapped into rows above the plot.
struct Legend {
    /// `(series index, x, row, displayed label)`.
    items: Vec<(usize, f64, usize, String)>,
    rows: usize,
    /// Series left out of the legend for lack of space.
    hidden: usize,
    /// Where the "+N more" note starts on the last row.
    more_x: f64,
}

impl Legend {
    fn layout(series: &[Series]) -> Legend {
        let item_width = |label: &str| LEGEND_SWATCH + LEGEND_GAP + label.chars().count() as f64 * CHAR_W + LEGEND_PAD;
        let mut items = Vec::new();
        let (mut x, mut row, mut hidden) = (PLOT_LEFT, 0, 0);
        for (i, s) in series.iter().enumerate() {
            let label = truncate(s.name, LEGEND_MAX_CHARS);
            let w = item_width(&label);
            if x > PLOT_LEFT && x + w - LEGEND_PAD > PLOT_RIGHT {
                if row + 1 == LEGEND_MAX_ROWS {
                    hidden = series.len() - i;
                    break;
                }
                row += 1;
                x = PLOT_LEFT;
            }
            items.push((i, x, row, label));
            x += w;
        }
        // Free room on the last row for the "+N more" note.
        while hidden > 0 && x + format!("+{hidden} more").len() as f64 * CHAR_W > PLOT_RIGHT {
            match items.last() {
                Some(&(_, ix, r, _)) if r == row && ix > PLOT_LEFT => {
                    x = ix;
                    items.pop();
                    hidden += 1;
                }
                _ => break,
            }
        }
        Legend { items, rows: if series.is_empty() { 0 } else { row + 1 }, hidden, more_x: x }
    }

    fn write(&self, out: &mut String, series: &[Series]) {
        let baseline = |row: usize| LEGEND_BASELINE + row as f64 * LEGEND_ROW;
        for (i, x, row, label) in &self.items {
            let y = baseline(*row);
            let s = &series[*i];
            if let Some(opacity) = s.style.fill {
                let _ = write!(
                    out,
                    "<rect x=\"{x1}\" y=\"{ry}\" width=\"{LEGEND_SWATCH}\" height=\"8\" fill=\"{c}\" \
                     fill-opacity=\"{o}\"/>",
                    x1 = num(*x),
                    ry = num(y - 8.0),
                    c = series_color(s, *i),
                    o = num(opacity.max(0.25)),
                );
            } else {
                let _ = write!(
                    out,
                    "<line x1=\"{x1}\" y1=\"{ly}\" x2=\"{x2}\" y2=\"{ly}\" stroke=\"{c}\" \
                     stroke-width=\"2.5\"{d}/>",
                    x1 = num(*x),
                    x2 = num(x + LEGEND_SWATCH),
                    ly = num(y - 4.0),
                    c = series_color(s, *i),
                    d = series_dash(s, *i),
                );
            }
            let _ = write!(
                out,
                "<text x=\"{tx}\" y=\"{y}\" font-size=\"11\" fill=\"#222\">{l}<title>{t}</title></text>",
                tx = num(x + LEGEND_SWATCH + LEGEND_GAP),
                l = escape(label),
                t = escape(s.name),
            );
        }
        if self.hidden > 0 {
            let _ = write!(
                out,
                "<text x=\"{x}\" y=\"{y}\" font-size=\"11\" fill=\"#666\">+{n} more</text>",
                x = num(self.more_x),
                y = num(baseline(self.rows - 1)),
                n = self.hidden,
            );
        }
    }
}

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn series_color(s: &Series, i: usize) -> &'static str {
    s.style.color.unwrap_or_else(|| color(i))
}

fn series_dash(s: &Series, i: usize) -> String {
    match s.style.dash {
        Some("") => String::new(),
        Some(d) => format!(" stroke-dasharray=\"{d}\""),
        None => dash_attr(i),
    }
}

fn dash_attr(i: usize) -> String {
    match DASHES[(i / PALETTE.len()) % DASHES.len()] {
        "" => String::new(),
        d => format!(" stroke-dasharray=\"{d}\""),
    }
}

/// The points a series is drawn through: a step function holds each value until the next
/// point, and the last one until the end of the axis.
fn drawn_points(f: &Frame, s: &Series, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let pts = thin(finite(points).collect(), f.x_end);
    let Some(&(last_x, last_y)) = pts.last() else { return pts };
    if !s.step {
        return pts;
    }
    let mut data = Vec::with_capacity(pts.len() * 2 + 1);
    for w in pts.windows(2) {
        data.push(w[0]);
        data.push((w[1].0, w[0].1));
    }
    data.push((last_x, last_y));
    if last_x < f.x_end {
        data.push((f.x_end, last_y));
    }
    data
}

fn coords(f: &Frame, data: impl Iterator<Item = (f64, f64)>) -> Vec<String> {
    let mut coords: Vec<String> = Vec::new();
    for (x, y) in data {
        let c = format!("{},{}", num(f.px(x)), num(f.py(y)));
        if coords.last() != Some(&c) {
            coords.push(c);
        }
    }
    coords
}

/// Draws one series as a polyline (or a filled area or band); series without finite
/// points draw nothing.
fn write_series(out: &mut String, f: &Frame, s: &Series, i: usize) {
    let data = drawn_points(f, s, s.points);
    if data.is_empty() {
        return;
    }
    let c = series_color(s, i);
    if let Some(opacity) = s.style.fill {
        // The upper edge left to right, then the lower edge (or the axis) right to left.
        let low = match s.low {
            Some(low) => drawn_points(f, s, low),
            None => vec![(data[0].0, 0.0), (data[data.len() - 1].0, 0.0)],
        };
        let mut ring = coords(f, data.iter().copied());
        ring.extend(coords(f, low.into_iter().rev()));
        let _ = write!(
            out,
            "<polygon fill=\"{c}\" fill-opacity=\"{o}\" stroke=\"none\" points=\"{p}\"><title>{t}</title></polygon>",
            o = num(opacity),
            p = ring.join(" "),
            t = escape(s.name),
        );
        if s.low.is_some() {
            return;
        }
    }
    let mut coords = coords(f, data.into_iter());
    if coords.len() == 1 {
        // A lone point: repeat it so the round line cap renders a dot.
        coords.push(coords[0].clone());
    }
    let _ = write!(
        out,
        "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"{w}\" stroke-linejoin=\"round\" \
         stroke-linecap=\"round\"{d} points=\"{p}\"><title>{t}</title></polyline>",
        w = num(s.style.width.unwrap_or(1.8)),
        d = series_dash(s, i),
        p = coords.join(" "),
        t = escape(s.name),
    );
}

/// Series longer than this are thinned for drawing and tooltips.
const THIN_ABOVE: usize = 4000;
/// Columns a thinned series keeps up to four points in (the plot is about 680 px wide).
const THIN_COLUMNS: f64 = 1000.0;

/// A long series reduced to the first, lowest, highest and last point of each of 1,000
/// time columns: the same picture (every spike kept) in a bounded size.
fn thin(points: Vec<(f64, f64)>, x_end: f64) -> Vec<(f64, f64)> {
    if points.len() <= THIN_ABOVE || !x_end.is_finite() || x_end <= 0.0 {
        return points;
    }
    let column = |x: f64| ((x / x_end).clamp(0.0, 1.0) * THIN_COLUMNS) as u32;
    let mut out = Vec::with_capacity(4 * THIN_COLUMNS as usize + 4);
    let mut i = 0;
    while i < points.len() {
        let c = column(points[i].0);
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < points.len() && column(points[j].0) == c {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let mut keep = [i, lo, hi, j - 1];
        keep.sort_unstable();
        let mut last = usize::MAX;
        for k in keep {
            if k != last {
                out.push(points[k]);
                last = k;
            }
        }
        i = j;
    }
    out
}

fn finite(points: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite())
}

/// Top of the y axis and its tick step for data reaching `y_max` (axis starts at 0).
fn y_scale(y_max: f64) -> (f64, f64) {
    let y_max = if y_max.is_finite() && y_max > 0.0 { y_max } else { 1.0 };
    let step = nice_step(y_max / 5.0);
    let top = (y_max / step - 1e-9).ceil().max(1.0) * step;
    if top.is_finite() {
        (top, step)
    } else {
        (y_max, y_max / 5.0)
    }
}

/// Top of a count axis and its whole-number tick step.
fn integer_scale(y_max: f64) -> (f64, f64) {
    let y_max = if y_max.is_finite() && y_max >= 1.0 { y_max } else { 1.0 };
    let step = nice_step(y_max / 5.0).max(1.0).round();
    ((y_max / step - 1e-9).ceil().max(1.0) * step, step)
}

/// Smallest `1, 2 or 5 × 10^k` that is at least `raw`; 1 for unusable input.
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powi(raw.log10().floor() as i32);
    let norm = raw / mag;
    let mult = [1.0, 2.0, 5.0].into_iter().find(|&m| norm <= m * (1.0 + 1e-9)).unwrap_or(10.0);
    let step = mult * mag;
    if step.is_finite() && step > 0.0 {
        step
    } else {
        1.0
    }
}

/// Time-axis tick step in seconds giving at most 10 intervals up to `x_end`.
fn time_step(x_end: f64) -> f64 {
    const STEPS: [f64; 18] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0,
        43200.0, 86400.0,
    ];
    let fits = |s: f64| x_end / s <= 10.0 * (1.0 + 1e-9);
    let sub_second = nice_step(x_end / 10.0);
    if sub_second < 1.0 {
        return sub_second;
    }
    STEPS.into_iter().find(|&s| fits(s)).unwrap_or_else(|| nice_step(x_end / 86400.0 / 10.0) * 86400.0)
}

/// Formats seconds as a compact duration: "0s", "30s", "1m", "2m30s", "1h", "1d2h".
fn format_time_tick(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".to_string();
    }
    if secs < 0.0 {
        return format!("-{}", format_time_tick(-secs));
    }
    let rounded = secs.round();
    if (secs - rounded).abs() >= 0.005 || rounded >= 1e15 {
        return format!("{}s", num(secs));
    }
    let total = rounded as u64;
    if total == 0 {
        return "0s".to_string();
    }
    let parts = [(total / 86400, 'd'), (total % 86400 / 3600, 'h'), (total % 3600 / 60, 'm'), (total % 60, 's')];
    let mut out = String::new();
    for (v, unit) in parts {
        if v > 0 {
            let _ = write!(out, "{v}{unit}");
        }
    }
    out
}

/// Formats a y tick value, abbreviating all ticks of a large axis (`top`) as "25k", "1.5M".
fn format_value(v: f64, top: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if top >= 1e6 {
        format!("{}M", num(v / 1e6))
    } else if top >= 1e4 {
        format!("{}k", num(v / 1e3))
    } else {
        num(v)
    }
}

/// A number with at most 3 decimals and no trailing zeros (tooltip data).
fn num3(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{v:.3}");
    s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Formats a number with at most 2 decimals and no trailing zeros.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{v:.2}");
    if s.contains('.') {
        s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Shortens `s` to at most `max` characters, ending with an ellipsis if cut.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Escapes text for XML content and attributes; control characters become spaces.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart<'a>(series: Vec<Series<'a>>, markers: Vec<Marker<'a>>, x_max: f64) -> Chart<'a> {
        Chart { title: "Pods <running>", y_label: "pods", series, markers, x_max, integer: false }
    }

    #[test]
    fn contains_title_and_escaped_names() {
        let pts = [(0.0, 1.0), (10.0, 2.0)];
        let svg = chart(vec![Series::line("a<b & \"c\"", &pts, false)], vec![], 20.0).to_svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("Pods &lt;running&gt;"));
        assert!(svg.contains("a&lt;b &amp; &quot;c&quot;"));
        assert!(!svg.contains("a<b"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn one_polyline_per_non_empty_series() {
        let a = [(0.0, 1.0), (5.0, 3.0)];
        let nan = [(f64::NAN, 1.0), (1.0, f64::INFINITY)];
        let single = [(3.0, 2.0)];
        let series = vec![
            Series::line("a", &a, false),
            Series::line("empty", &[], true),
            Series::line("nan", &nan, false),
            Series::line("single", &single, false),
            Series::line("stepped", &a, true),
        ];
        let svg = chart(series, vec![], 10.0).to_svg();
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Every series, even an empty one, keeps its legend entry.
        assert!(svg.contains(">empty<"));
    }

    #[test]
    fn output_is_deterministic() {
        let pts = [(0.0, 0.333_333), (7.0, 12.5), (9.5, 3.0)];
        let make = || {
            chart(vec![Series::line("x", &pts, true)], vec![Marker { x: 4.0, label: "crashNode worker-2" }], 12.0)
                .to_svg()
        };
        assert_eq!(make(), make());
        // Drawing coordinates keep 2 decimals, tooltip data 3.
        assert!(!make().contains("0.3333"));
    }

    #[test]
    fn step_series_extends_to_x_max() {
        let pts = [(0.0, 1.0), (10.0, 2.0)];
        let svg = chart(vec![Series::line("s", &pts, true)], vec![], 100.0).to_svg();
        let start = svg.find("points=\"").unwrap() + 8;
        let coords = &svg[start..start + svg[start..].find('"').unwrap()];
        assert_eq!(coords.split(' ').count(), 4);
        let last = coords.rsplit(' ').next().unwrap();
        assert!(last.starts_with(&num(PLOT_RIGHT)));
    }

    #[test]
    fn markers_at_same_x_are_merged() {
        let markers = vec![
            Marker { x: 30.0, label: "crashNode worker-2" },
            Marker { x: 30.0, label: "scale web" },
            Marker { x: 30.0, label: "crashNode worker-2" },
            Marker { x: f64::NAN, label: "bad" },
            Marker { x: 200.0, label: "beyond" },
        ];
        let svg = chart(vec![], markers, 120.0).to_svg();
        // The label, its title and the tick's title.
        assert_eq!(svg.matches("crashNode worker-2, scale web").count(), 3);
        assert_eq!(svg.matches("stroke-dasharray=\"4 3\"").count(), 1);
        assert!(!svg.contains("bad") && !svg.contains("beyond"));

        // A chain of close markers shares one label but keeps every line.
        let labels = ["a", "b", "c"];
        let chain = (0..3).map(|i| Marker { x: 1000.0 + 30.0 * i as f64, label: labels[i] }).collect();
        let svg = chart(vec![], chain, 4000.0).to_svg();
        assert_eq!(svg.matches("stroke-dasharray=\"4 3\"").count(), 3);
        assert_eq!(svg.matches(">a, b, c<title>").count(), 1);
    }

    #[test]
    fn empty_and_all_zero_inputs_work() {
        let empty = chart(vec![], vec![], 0.0).to_svg();
        assert!(empty.contains("</svg>") && empty.contains(">1m<"));
        let zeros = [(0.0, 0.0), (50.0, 0.0)];
        let svg = chart(vec![Series::line("z", &zeros, false)], vec![], f64::NAN).to_svg();
        assert!(svg.contains(">50s<") && svg.contains(">1<"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn many_series_legend_wraps() {
        let names: Vec<String> = (0..20).map(|i| format!("worker-{i}")).collect();
        let pts = [(0.0, 1.0)];
        let series = names.iter().map(|n| Series::line(n, &pts, true)).collect();
        let svg = chart(series, vec![], 60.0).to_svg();
        assert!(names.iter().all(|n| svg.contains(&format!(">{n}<"))));
        let legend =
            Legend::layout(&chart(names.iter().map(|n| Series::line(n, &pts, true)).collect(), vec![], 60.0).series);
        assert!(legend.rows > 1 && legend.rows <= LEGEND_MAX_ROWS);
        assert_eq!(legend.hidden, 0);

        let long: Vec<String> = (0..60).map(|i| format!("a-rather-long-node-name-{i}")).collect();
        let series: Vec<Series> = long.iter().map(|n| Series::line(n, &pts, false)).collect();
        let legend = Legend::layout(&series);
        assert_eq!(legend.rows, LEGEND_MAX_ROWS);
        assert_eq!(legend.items.len() + legend.hidden, 60);
        assert!(chart(series, vec![], 60.0).to_svg().contains(" more</text>"));
    }

    #[test]
    fn time_tick_formatting() {
        assert_eq!(format_time_tick(0.0), "0s");
        assert_eq!(format_time_tick(30.0), "30s");
        assert_eq!(format_time_tick(60.0), "1m");
        assert_eq!(format_time_tick(150.0), "2m30s");
        assert_eq!(format_time_tick(3600.0), "1h");
        assert_eq!(format_time_tick(5400.0), "1h30m");
        assert_eq!(format_time_tick(93600.0), "1d2h");
        assert_eq!(format_time_tick(0.5), "0.5s");
        assert_eq!(format_time_tick(-90.0), "-1m30s");
    }

    #[test]
    fn nice_step_cases() {
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(0.6), 1.0);
        assert_eq!(nice_step(1.5), 2.0);
        assert_eq!(nice_step(7.0), 10.0);
        assert_eq!(nice_step(23.0), 50.0);
        assert_eq!(nice_step(140.0), 200.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
        assert_eq!(y_scale(3.0), (3.0, 1.0));
        assert_eq!(y_scale(0.0), (1.0, 0.2));
    }

    #[test]
    fn time_steps_give_reasonable_tick_counts() {
        assert_eq!(time_step(300.0), 30.0);
        assert_eq!(time_step(600.0), 60.0);
        assert_eq!(time_step(3600.0), 600.0);
        for x_end in [0.3, 1.0, 7.0, 45.0, 100.0, 700.0, 5000.0, 86400.0, 1e7] {
            let ticks = (x_end / time_step(x_end) + 1e-9).floor() as usize + 1;
            assert!((5..=11).contains(&ticks), "{x_end}: {ticks} ticks");
        }
    }

    #[test]
    fn number_formatting() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(format_value(25_000.0, 25_000.0), "25k");
        assert_eq!(format_value(5_000.0, 25_000.0), "5k");
        assert_eq!(format_value(0.0, 25_000.0), "0");
        assert_eq!(format_value(1_500_000.0, 2e6), "1.5M");
        assert_eq!(format_value(5_000.0, 5_000.0), "5000");
        assert_eq!(format_value(0.30000000000000004, 1.0), "0.3");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(escape("a\u{0}'"), "a &#39;");
    }

    #[test]
    fn long_series_are_thinned_keeping_spikes() {
        let mut pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64 * 0.01, 5.0)).collect();
        pts[50_000].1 = 99.0;
        let thinned = thin(pts.clone(), 1000.0);
        assert!(thinned.len() <= 4004, "{}", thinned.len());
        assert!(thinned.contains(&(500.0, 99.0)));
        assert_eq!(thinned.first(), pts.first());
        assert_eq!(thinned.last(), pts.last());
        let short = vec![(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(thin(short.clone(), 10.0), short);
    }

    #[test]
    fn count_axes_have_whole_number_ticks() {
        assert_eq!(integer_scale(3.0), (3.0, 1.0));
        assert_eq!(integer_scale(0.0), (1.0, 1.0));
        assert_eq!(integer_scale(7.0), (8.0, 2.0));
        let pts = [(0.0, 0.0), (10.0, 3.0)];
        let mut c = chart(vec![Series::line("pods", &pts, true)], vec![], 20.0);
        c.integer = true;
        let svg = c.to_svg();
        assert!(svg.contains(">3</text>") && !svg.contains(">0.5</text>") && !svg.contains(">2.5</text>"));
    }

    #[test]
    fn all_zero_charts_have_no_data() {
        let zeros = [(0.0, 0.0), (5.0, 0.0)];
        assert!(!chart(vec![Series::line("z", &zeros, true)], vec![], 10.0).has_data());
        assert!(!chart(vec![], vec![], 10.0).has_data());
        let one = [(0.0, 0.0), (5.0, 1.0)];
        assert!(chart(vec![Series::line("z", &one, true)], vec![], 10.0).has_data());
    }

    #[test]
    fn bands_fill_between_two_series_and_areas_down_to_zero() {
        let (lo, hi) = ([(0.0, 1.0), (10.0, 2.0)], [(0.0, 3.0), (10.0, 4.0)]);
        let band = Series { low: Some(&lo), ..Series::line("p10 – p90", &hi, true) }
            .styled(Style { fill: Some(0.3), ..Style::default() });
        let area = Series::line("dropped", &lo, true).styled(Style { fill: Some(0.3), ..Style::default() });
        let svg = chart(vec![band, area], vec![], 20.0).to_svg();
        assert_eq!(svg.matches("<polygon").count(), 2);
        // The band has no outline; the area keeps its line.
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("\"lo\":[[0,1],[10,2]]") || svg.contains("&quot;lo&quot;:[[0,1],[10,2]]"));
    }

    #[test]
    fn many_markers_become_ticks_without_lines_or_labels() {
        let labels: Vec<String> = (0..40).map(|i| format!("crashNode w-{i}")).collect();
        let markers = labels.iter().enumerate().map(|(i, l)| Marker { x: 100.0 * i as f64, label: l }).collect();
        let svg = chart(vec![], markers, 4000.0).to_svg();
        assert_eq!(svg.matches("stroke-dasharray=\"4 3\"").count(), 0, "no full-height lines");
        assert_eq!(svg.matches("l-3.5 -6h7z").count(), 40, "a tick per marker");
        assert!(!svg.contains("rotate(-90)\" text-anchor=\"end\" font-size=\"9\""), "no rotated labels");
        assert!(svg.contains(">40 events marked"));
        let few: Vec<Marker> =
            labels.iter().take(3).enumerate().map(|(i, l)| Marker { x: 1000.0 * i as f64, label: l }).collect();
        let svg = chart(vec![], few, 4000.0).to_svg();
        assert_eq!(svg.matches("stroke-dasharray=\"4 3\"").count(), 3);
    }
}
