//! The look shared by the `fine_tune` figures: each method's colour, line style and marker as
//! the paper draws them (specification §3), marker shapes as pixel polygons, and the frame of a
//! figure — title, wrapped subtitle, and one legend strip below the panels so that no legend
//! covers data.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::element::ComposedElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::drawing;

/// Marker shapes: the paper's □ ◇ ○ △ ★ ✚, and two for the methods it does not draw here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Marker {
    Square,
    Diamond,
    Circle,
    Triangle,
    Star,
    Plus,
    TriangleDown,
    Cross,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub color: RGBColor,
    pub dashed: bool,
    pub marker: Marker,
    pub label: &'static str,
}

/// The paper's colours, line styles and markers (§3): Base brown dashed □, SFT green dashed ◇,
/// RFT orange ○, SFT-RFT dark blue △, R³ red ★, UFT purple ✚. Staged RL and RFT (cosine), which
/// Figures 2/7/8 do not draw, in grey ▽ and pink ×.
pub(super) fn style(method: &str) -> Style {
    let (color, dashed, marker, label) = match method {
        "base" => (RGBColor(140, 86, 75), true, Marker::Square, "Base"),
        "sft" => (RGBColor(44, 160, 44), true, Marker::Diamond, "SFT"),
        "rft" => (RGBColor(255, 127, 14), false, Marker::Circle, "RFT"),
        "sft_rft" => (RGBColor(31, 40, 120), false, Marker::Triangle, "SFT-RFT"),
        "r3" => (RGBColor(214, 39, 40), false, Marker::Star, "R³"),
        "uft" => (RGBColor(148, 103, 189), false, Marker::Plus, "UFT"),
        "stage" => (
            RGBColor(127, 127, 127),
            false,
            Marker::TriangleDown,
            "Stage",
        ),
        _ => (
            RGBColor(227, 119, 194),
            false,
            Marker::Cross,
            "RFT (cosine)",
        ),
    };
    Style {
        color,
        dashed,
        marker,
        label,
    }
}

/// The outline of a marker of radius `r` pixels around (0, 0), y pointing down.
pub(super) fn outline(marker: Marker, r: f64) -> Vec<(i32, i32)> {
    let polar = |n: usize, radius: &dyn Fn(usize) -> f64, turn: f64| -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let a = turn + i as f64 * std::f64::consts::TAU / n as f64;
                (radius(i) * a.sin(), -radius(i) * a.cos())
            })
            .collect()
    };
    let (w, l) = (0.36 * r, 1.1 * r); // half-width and half-length of a plus's arms
    let plus = vec![
        (-w, -l),
        (w, -l),
        (w, -w),
        (l, -w),
        (l, w),
        (w, w),
        (w, l),
        (-w, l),
        (-w, w),
        (-l, w),
        (-l, -w),
        (-w, -w),
    ];
    let points: Vec<(f64, f64)> = match marker {
        Marker::Square => polar(4, &|_| 1.2 * r, std::f64::consts::FRAC_PI_4),
        Marker::Diamond => vec![(0.0, -1.3 * r), (r, 0.0), (0.0, 1.3 * r), (-r, 0.0)],
        Marker::Circle => polar(16, &|_| r, 0.0),
        Marker::Triangle => polar(3, &|_| 1.25 * r, 0.0),
        Marker::TriangleDown => polar(3, &|_| 1.25 * r, std::f64::consts::PI),
        Marker::Star => polar(10, &|i| if i % 2 == 0 { 1.4 * r } else { 0.6 * r }, 0.0),
        Marker::Plus => plus,
        Marker::Cross => {
            let (s, c) = std::f64::consts::FRAC_PI_4.sin_cos();
            plus.iter()
                .map(|&(x, y)| (x * c - y * s, x * s + y * c))
                .collect()
        }
    };
    points
        .into_iter()
        .map(|(x, y)| (x.round() as i32, y.round() as i32))
        .collect()
}

/// A marker drawn at `at` (in any coordinate system): its polygon and outline.
pub(super) type MarkerElement<C, DB> =
    ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// A filled marker at `at`, or a hollow one: white inside, outlined in the method's colour.
pub(super) fn marker<C, DB: DrawingBackend>(
    at: C,
    method: &str,
    r: f64,
    hollow: bool,
) -> MarkerElement<C, DB> {
    let Style { color, marker, .. } = style(method);
    let shape = outline(marker, r);
    let mut closed = shape.clone();
    closed.push(shape[0]);
    let fill = if hollow { WHITE } else { color };
    EmptyElement::at(at)
        + Polygon::new(shape, fill.filled())
        + PathElement::new(closed, color.stroke_width(if hollow { 2 } else { 1 }))
}

/// A polyline as separate two-point segments: plotters joins the segments of a thick polyline
/// with miters that shoot far out of the chart on jagged data (plotters-rs/plotters#549).
pub(super) fn segments<C: Copy>(points: &[C], style: ShapeStyle) -> Vec<PathElement<C>> {
    let pairs = points.windows(2);
    pairs.map(|w| PathElement::new(w.to_vec(), style)).collect()
}

/// One legend entry: a method's line and marker, its marker alone (a method drawn as one
/// point), or the hollow marker of the paper's values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LegendEntry {
    Method(&'static str),
    Point(&'static str),
    Paper,
}

const SAMPLE: i32 = 40; // length of a legend's line sample, pixels
const ROW: i32 = 26; // height of a legend row, pixels

/// Draws the title, the subtitle (wrapped to the width) and the legend strip at the bottom, and
/// returns the area left for the panels.
pub(super) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
    drawing(root.fill(&WHITE))?;
    let (width, _) = root.dim_in_pixel();
    let title_font = ("sans-serif", 21).into_text_style(root);
    let sub_font = ("sans-serif", 15)
        .into_text_style(root)
        .color(&RGBColor(60, 60, 60));
    let width_of = |text: &str, font: &TextStyle| -> Result<i32> {
        Ok(drawing(root.estimate_text_size(text, font))?.0 as i32)
    };
    let center = Pos::new(HPos::Center, VPos::Top);
    let mut top = 8; // the header's height so far
    drawing(root.draw_text(title, &title_font.pos(center), (width as i32 / 2, top)))?;
    top += 28;
    for line in wrap(subtitle, width as i32 - 40, |t| width_of(t, &sub_font))? {
        drawing(root.draw_text(&line, &sub_font.pos(center), (width as i32 / 2, top)))?;
        top += 20;
    }

    // Lay the legend out in rows, each centred.
    let font = ("sans-serif", 16).into_text_style(root);
    let mut rows: Vec<Vec<(LegendEntry, i32)>> = vec![Vec::new()];
    let mut row_width = 0;
    for &entry in legend {
        let label = match entry {
            LegendEntry::Method(m) | LegendEntry::Point(m) => style(m).label,
            LegendEntry::Paper => "paper (approx.)",
        };
        let w = SAMPLE + 8 + width_of(label, &font)? + 26;
        if row_width + w > width as i32 - 20 && row_width > 0 {
            rows.push(Vec::new());
            row_width = 0;
        }
        rows.last_mut().unwrap().push((entry, w));
        row_width += w;
    }
    let strip = if legend.is_empty() {
        0
    } else {
        rows.len() as i32 * ROW + 12
    };
    let (_, height) = root.dim_in_pixel();
    let (body, bottom) = root.split_vertically(height as i32 - strip);
    let left = font.pos(Pos::new(HPos::Left, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let total: i32 = row.iter().map(|e| e.1).sum();
        let mut x = (width as i32 - total) / 2;
        let y = 6 + ROW / 2 + i as i32 * ROW;
        for &(entry, w) in row {
            let mid = (x + SAMPLE / 2, y);
            match entry {
                LegendEntry::Method(m) => {
                    let s = style(m);
                    let line = s.color.stroke_width(3);
                    if s.dashed {
                        for a in (0..SAMPLE).step_by(12) {
                            let b = (a + 7).min(SAMPLE);
                            drawing(
                                bottom.draw(&PathElement::new(vec![(x + a, y), (x + b, y)], line)),
                            )?;
                        }
                    } else {
                        drawing(
                            bottom.draw(&PathElement::new(vec![(x, y), (x + SAMPLE, y)], line)),
                        )?;
                    }
                    drawing(bottom.draw(&marker(mid, m, 5.0, false)))?;
                    drawing(bottom.draw_text(s.label, &left, (x + SAMPLE + 8, y)))?;
                }
                LegendEntry::Point(m) => {
                    drawing(bottom.draw(&marker(mid, m, 6.0, false)))?;
                    drawing(bottom.draw_text(style(m).label, &left, (x + SAMPLE + 8, y)))?;
                }
                LegendEntry::Paper => {
                    let ring = outline(Marker::Circle, 6.0);
                    let mut closed = ring.clone();
                    closed.push(ring[0]);
                    drawing(bottom.draw(
                        &(EmptyElement::at(mid) + PathElement::new(closed, BLACK.stroke_width(2))),
                    ))?;
                    drawing(bottom.draw_text("paper (approx.)", &left, (x + SAMPLE + 8, y)))?;
                }
            }
            x += w;
        }
    }
    let (_, body) = body.split_vertically(top + 4);
    Ok(body)
}

/// Splits `text` into lines no wider than `max` (as measured by `width`), at spaces.
fn wrap(text: &str, max: i32, width: impl Fn(&str) -> Result<i32>) -> Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && width(&candidate)? > max {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_methods_have_distinct_markers_and_colours() {
        let methods = [
            "base",
            "sft",
            "rft",
            "sft_rft",
            "r3",
            "uft",
            "stage",
            "rft_cosine",
        ];
        for (i, a) in methods.iter().enumerate() {
            for b in &methods[i + 1..] {
                assert_ne!(style(a).marker, style(b).marker, "{a} {b}");
                assert_ne!(style(a).color, style(b).color, "{a} {b}");
            }
        }
        assert!(style("base").dashed && style("sft").dashed && !style("uft").dashed);
        assert_eq!(style("r3").marker, Marker::Star);
    }

    #[test]
    fn wrap_keeps_words_and_respects_the_width() {
        let width = |t: &str| Ok(t.chars().count() as i32);
        let lines = wrap("aa bb cc dd", 5, width).unwrap();
        assert_eq!(lines, ["aa bb", "cc dd"]);
        assert_eq!(wrap("", 5, width).unwrap(), Vec::<String>::new());
    }
}
