//! The predict page served at `/`: one self-contained HTML file (inline CSS and script, no
//! fonts or scripts fetched) where a person types text and sees the predicted label by name, what
//! its score means, every class's probability, and the text itself — punctuation kept — with
//! each word shaded by its saliency from `/v1/explain` (a network's occlusion, a linear model's exact
//! contribution), under a legend.
//!
//! The shading and the text placement are defined here once, in Rust ([`shade`], [`place`]),
//! and the page's script repeats them with the same constants (a test holds the two equal);
//! `strata explain --html` renders with the Rust ones. Shades stay light enough that the text
//! on them keeps WCAG AA contrast (4.5:1), which a unit test computes.

/// Text colour on the page and on every shade.
pub const INK: [u8; 3] = [0x11, 0x11, 0x11];
/// The shade of a word that pushed the most towards the predicted label (a light green).
pub const TOWARDS: [u8; 3] = [129, 199, 132];
/// The shade of a word that pushed the most against it (a light red).
pub const AGAINST: [u8; 3] = [229, 115, 115];

/// The background for a saliency `s` scaled to [-1, 1] (1: the strongest push towards the
/// label): white blended towards [`TOWARDS`] or [`AGAINST`] by |s|.
pub fn shade(s: f32) -> [u8; 3] {
    let s = if s.is_finite() { s.clamp(-1.0, 1.0) } else { 0.0 };
    let end = if s >= 0.0 { TOWARDS } else { AGAINST };
    end.map(|c| (255.0 + (f32::from(c) - 255.0) * s.abs()).round() as u8)
}

/// `#rrggbb`.
pub fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// WCAG 2 contrast ratio of two sRGB colours (1 to 21).
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    fn luminance(c: [u8; 3]) -> f64 {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
    }
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A piece of the original text: plain (punctuation, spaces, what the tokenizer dropped), or
/// the `usize`-th token of the explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub token: Option<usize>,
}

/// Places `tokens` (in reading order, as the tokenizer wrote them: lower-cased unless the model
/// keeps case) back into `text`, so a page can shade them inside the text as typed. Each token
/// is matched case-insensitively at the first place at or after the previous one; a token not
/// found (it should not happen) is left out, and the text is kept whole either way.
pub fn place<'a>(text: &'a str, tokens: &[&str]) -> Vec<Piece<'a>> {
    let mut pieces = Vec::new();
    let mut at = 0;
    for (k, token) in tokens.iter().enumerate() {
        let Some((start, end)) = find(text, at, token) else { continue };
        if start > at {
            pieces.push(Piece { text: &text[at..start], token: None });
        }
        pieces.push(Piece { text: &text[start..end], token: Some(k) });
        at = end;
    }
    if at < text.len() {
        pieces.push(Piece { text: &text[at..], token: None });
    }
    pieces
}

/// The byte range of the first case-insensitive match of `token` in `text` at or after `from`.
fn find(text: &str, from: usize, token: &str) -> Option<(usize, usize)> {
    if token.is_empty() {
        return None;
    }
    text[from..].char_indices().map(|(i, _)| from + i).find_map(|start| {
        let mut want = token.chars();
        let mut end = start;
        for c in text[start..].chars() {
            for lc in c.to_lowercase() {
                if want.next() != Some(lc) {
                    return None;
                }
            }
            end += c.len_utf8();
            if want.as_str().is_empty() {
                return Some((start, end));
            }
        }
        None
    })
}

pub const PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strata</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:760px;padding:0 1em;color:#111;background:#fff}
h1{margin-bottom:.1em}#model{color:#444;margin-top:0}
textarea{width:100%;height:6em;font:inherit;padding:.5em;box-sizing:border-box}
button{font:inherit;padding:.4em 1.2em;margin-top:.5em}
#result{margin-top:1.5em}#label{font-size:1.6em;font-weight:600}#score{color:#444;margin-left:.5em}
.note{color:#444;font-size:.95em}
#classes{border-collapse:collapse;margin:.5em 0 1em}#classes td{padding:2px .6em 2px 0}
#classes .bar{display:inline-block;height:.8em;background:#5c6bc0;vertical-align:middle}
#classes tr.best td{font-weight:600}
#words{font-size:1.25em;line-height:2.1;margin-top:.5em;white-space:pre-wrap}
.word{padding:2px 1px;border-radius:4px;color:#111}
#legend{display:flex;gap:.3em;align-items:center;flex-wrap:wrap;margin-top:.8em;font-size:.95em}
.swatch{padding:2px .6em;border-radius:4px;border:1px solid #ccc;color:#111}
#error{color:#b71c1c}
</style></head>
<body>
<h1>strata</h1>
<p id="model">Loading the model…</p>
<p>Type a text; the model predicts its label, gives every class's probability, and shades each word
by how much it pushed the prediction.</p>
<textarea id="text" aria-label="text to classify"></textarea><br>
<button id="go">Predict</button>
<section id="result" hidden>
<div><span id="label"></span><span id="score"></span></div>
<p id="score-what" class="note"></p>
<table id="classes" aria-label="every class's probability"><tbody></tbody></table>
<div id="words"></div>
<div id="legend" aria-label="legend for the shading"></div>
<p id="legend-what" class="note"></p>
</section>
<p id="error" role="alert"></p>
<script>
// The same constants and rules as shade() and place() in strata-serve's page.rs.
const TOWARDS = [129, 199, 132], AGAINST = [229, 115, 115];
const $ = (id) => document.getElementById(id);
let model = null;
function shade(s) {
  s = Number.isFinite(s) ? Math.max(-1, Math.min(1, s)) : 0;
  const end = s >= 0 ? TOWARDS : AGAINST;
  return "rgb(" + end.map(c => Math.round(255 + (c - 255) * Math.abs(s))).join(", ") + ")";
}
function find(chars, from, token) {
  const want = Array.from(token);
  if (!want.length) return null;
  for (let start = from; start < chars.length; start++) {
    let k = 0, end = start;
    for (; end < chars.length && k < want.length; end++) {
      const lc = Array.from(chars[end].toLowerCase());
      if (want.slice(k, k + lc.length).join("") !== lc.join("")) break;
      k += lc.length;
    }
    if (k === want.length) return [start, end];
  }
  return null;
}
function place(text, tokens) {
  const chars = Array.from(text), pieces = [];
  let at = 0;
  tokens.forEach((t, k) => {
    const m = find(chars, at, t);
    if (!m) return;
    if (m[0] > at) pieces.push({text: chars.slice(at, m[0]).join(""), token: null});
    pieces.push({text: chars.slice(m[0], m[1]).join(""), token: k});
    at = m[1];
  });
  if (at < chars.length) pieces.push({text: chars.slice(at).join(""), token: null});
  return pieces;
}
async function post(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  const v = await r.json();
  if (!r.ok) throw new Error(v.error || r.statusText);
  return v;
}
function legend(label, max) {
  const stops = [[-1, "against"], [-0.5, ""], [0, "no effect"], [0.5, ""], [1, "towards " + label]];
  $("legend").replaceChildren(...stops.map(([s, name]) => {
    const e = document.createElement("span");
    e.className = "swatch";
    e.style.background = shade(s);
    e.textContent = name || "\u00a0\u00a0";
    e.title = (s * max).toFixed(4);
    return e;
  }));
  const what = linear()
    ? `Shade: the word's exact part of the logit of “${label}” (a linear model's logit is the sum of its words' ` +
      `parts and the end of the text's, </s>; a word n-gram's part is split equally among its words)`
    : `Shade: how much the probability of “${label}” drops when the word is hidden (occlusion)`;
  $("legend-what").textContent = what + `, scaled to the strongest word (±${max.toFixed(4)}); green words pushed ` +
    `towards the label, red against it. Hover a word for its number. Unshaded: punctuation, spaces and words the ` +
    `model does not read.`;
}
// A linear model (fastText's) explains by exact contributions to a logit, scores with a softmax
// over all its classes (even two) or, trained one-vs-all, with a sigmoid per class.
function linear() { return !!model && (model.architecture || {}).model === "linear"; }
function scoreWhat(n) {
  if (linear() && model.architecture.loss === "one-vs-all") return " (its own sigmoid: each class is scored apart).";
  if (n === 2 && !linear()) return " (its sigmoid output; the other class has the rest).";
  return ` (its softmax over the ${n} classes).`;
}
async function run() {
  $("error").textContent = "";
  const text = $("text").value;
  try {
    const n = model ? model.labels.length : 1;
    const [ex, pred] = await Promise.all([post("/v1/explain", {inputs: text}), post("/v1/predict", {inputs: text, top_k: n})]);
    const scores = pred[0];
    $("label").textContent = ex.label;
    $("score").textContent = "probability " + ex.score.toFixed(3);
    $("score-what").textContent = `The score is the model's probability that the text is “${ex.label}”` + scoreWhat(n);
    $("classes").tBodies[0].replaceChildren(...scores.map(c => {
      const tr = document.createElement("tr");
      tr.className = "class" + (c.label === ex.label ? " best" : "");
      tr.dataset.label = c.label;
      tr.dataset.score = c.score;
      const name = document.createElement("td"), value = document.createElement("td"), bar = document.createElement("td");
      name.textContent = c.label;
      value.textContent = c.score.toFixed(3);
      const b = document.createElement("span");
      b.className = "bar";
      b.style.width = (c.score * 12).toFixed(2) + "em";
      bar.append(b);
      tr.append(name, value, bar);
      return tr;
    }));
    const max = Math.max(1e-9, ...ex.tokens.map(t => Math.abs(t.occlusion || 0)));
    $("words").replaceChildren(...place(text, ex.tokens.map(t => t.token)).map(p => {
      if (p.token === null) return document.createTextNode(p.text);
      const t = ex.tokens[p.token], s = document.createElement("span");
      s.className = "word";
      s.textContent = p.text;
      s.dataset.saliency = (t.occlusion || 0).toFixed(4);
      s.title = t.occlusion == null ? "not read by the model" : s.dataset.saliency;
      s.style.background = shade((t.occlusion || 0) / max);
      return s;
    }));
    legend(ex.label, max);
    $("result").hidden = false;
  } catch (e) { $("error").textContent = String(e.message || e); $("result").hidden = true; }
}
async function start() {
  try {
    const r = await fetch("/v1/model");
    model = await r.json();
    const a = model.architecture || {};
    document.title = `strata · ${model.name}`;
    $("model").textContent = `Model ${model.name} (${a.model || "custom"}), ${model.labels.length} classes: ` +
      model.labels.join(", ");
  } catch (e) { $("model").textContent = "Model: unknown (" + e + ")"; }
  // ?text=... fills the box and predicts at once (a link to a prediction; used by the page check)
  const preset = new URLSearchParams(location.search).get("text");
  if (preset) { $("text").value = preset; run(); }
}
$("go").addEventListener("click", run);
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
start();
</script>
</body></html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_every_shade_meets_wcag_aa() {
        let mut worst = f64::INFINITY;
        for k in -100..=100 {
            let s = k as f32 / 100.0;
            worst = worst.min(contrast(INK, shade(s)));
        }
        assert!(worst >= 4.5, "worst contrast {worst:.2}:1, below WCAG AA's 4.5:1");
        // the old page's shades (rgba(46,125,50,1) and rgba(198,40,40,1) under #222) failed it
        assert!(contrast([0x22; 3], [46, 125, 50]) < 4.5);
        assert!(contrast([0x22; 3], [198, 40, 40]) < 4.5);
    }

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((contrast([0; 3], [255; 3]) - 21.0).abs() < 1e-9);
        assert!((contrast([0x77; 3], [255; 3]) - 4.48).abs() < 0.01); // #777 on white: the AA miss
    }

    #[test]
    fn shades_run_from_white_to_the_two_ends() {
        assert_eq!(shade(0.0), [255; 3]);
        assert_eq!(shade(1.0), TOWARDS);
        assert_eq!(shade(-1.0), AGAINST);
        assert_eq!(shade(7.0), TOWARDS);
        assert_eq!(shade(f32::NAN), [255; 3]);
        assert_eq!(hex(TOWARDS), "#81c784");
    }

    #[test]
    fn the_page_script_uses_the_same_shades() {
        let js = |c: [u8; 3]| format!("[{}, {}, {}]", c[0], c[1], c[2]);
        assert!(PAGE.contains(&format!("const TOWARDS = {}, AGAINST = {};", js(TOWARDS), js(AGAINST))));
        assert!(PAGE.contains("color:#111"), "the page's ink is INK");
        assert_eq!(hex(INK), "#111111");
    }

    #[test]
    fn placing_tokens_keeps_punctuation_and_case() {
        let text = "A gripping film, but the ending is dull!";
        let pieces = place(text, &["a", "gripping", "film", "but", "the", "ending", "is", "dull"]);
        assert_eq!(pieces.iter().map(|p| p.text).collect::<String>(), text);
        let shaded: Vec<&str> = pieces.iter().filter(|p| p.token.is_some()).map(|p| p.text).collect();
        assert_eq!(shaded, ["A", "gripping", "film", "but", "the", "ending", "is", "dull"]);
        assert_eq!(pieces[pieces.len() - 1], Piece { text: "!", token: None });
        assert!(pieces.iter().any(|p| p.text == ", " && p.token.is_none()));
    }

    #[test]
    fn placing_handles_repeats_chinese_and_missing_tokens() {
        let pieces = place("the the, THE", &["the", "the", "the"]);
        assert_eq!(
            pieces.iter().filter(|p| p.token.is_some()).map(|p| p.text).collect::<Vec<_>>(),
            ["the", "the", "THE"]
        );
        let pieces = place("很好，不错。", &["很", "好", "不", "错"]);
        assert_eq!(pieces.iter().map(|p| p.text).collect::<String>(), "很好，不错。");
        assert_eq!(pieces.iter().filter(|p| p.token.is_some()).count(), 4);
        let pieces = place("good film", &["good", "zzz", "film", ""]);
        assert_eq!(pieces.iter().filter_map(|p| p.token).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(pieces.iter().map(|p| p.text).collect::<String>(), "good film");
    }
}
