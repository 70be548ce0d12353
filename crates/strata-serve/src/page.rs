//! The predict page served at `/`: one self-contained HTML file (inline CSS and script, no
//! fonts or scripts fetched) where a person types text and sees the label, its score, and each
//! word shaded by its occlusion saliency from `/v1/explain`.

pub const PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strata</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:760px;color:#222}
textarea{width:100%;height:6em;font:inherit;padding:.5em}
button{font:inherit;padding:.4em 1.2em;margin-top:.5em}
#result{margin-top:1.5em}#label{font-size:1.6em;font-weight:600}#score{color:#555;margin-left:.5em}
#words{font-size:1.25em;line-height:2.1;margin-top:1em}
.word{padding:2px 4px;margin:1px;border-radius:4px}
#error{color:#c62828}
</style></head>
<body>
<h1>strata</h1>
<p>Type a text; the model predicts its label, and each word is shaded by how much it pushed
the prediction (green: towards it, red: against; occlusion saliency).</p>
<textarea id="text" aria-label="text to classify"></textarea><br>
<button id="go">Predict</button>
<div id="result" hidden><span id="label"></span><span id="score"></span><div id="words"></div></div>
<p id="error"></p>
<script>
const $ = (id) => document.getElementById(id);
async function run() {
  $("error").textContent = "";
  const text = $("text").value;
  try {
    const r = await fetch("/v1/explain", {method: "POST", headers: {"content-type": "application/json"},
                                          body: JSON.stringify({inputs: text})});
    const ex = await r.json();
    if (!r.ok) { $("error").textContent = ex.error; $("result").hidden = true; return; }
    $("label").textContent = ex.label;
    $("score").textContent = ex.score.toFixed(3);
    const max = Math.max(1e-9, ...ex.tokens.map(t => Math.abs(t.occlusion || 0)));
    $("words").replaceChildren(...ex.tokens.map(t => {
      const s = document.createElement("span");
      const v = (t.occlusion || 0) / max;
      s.className = "word";
      s.textContent = t.token;
      s.dataset.saliency = (t.occlusion || 0).toFixed(4);
      s.title = s.dataset.saliency;
      s.style.background = v >= 0 ? `rgba(46,125,50,${v.toFixed(2)})` : `rgba(198,40,40,${(-v).toFixed(2)})`;
      return s;
    }));
    $("result").hidden = false;
  } catch (e) { $("error").textContent = String(e); }
}
$("go").addEventListener("click", run);
// ?text=... fills the box and predicts at once (a link to a prediction; used by the page check)
const preset = new URLSearchParams(location.search).get("text");
if (preset) { $("text").value = preset; run(); }
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
</script>
</body></html>
"##;
