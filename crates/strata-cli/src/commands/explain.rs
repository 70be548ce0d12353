//! `strata explain`: which words decided a prediction — a network's by occlusion and gradient ×
//! input (see `strata_model::explain`), a linear model's exactly (each word's part of the
//! predicted class's logit, `strata_model::linear::explain`) — as text, JSON or a page with each
//! word shaded.

use anyhow::{bail, Result};
use strata_model::classifier::{load, Classifier};
use strata_model::explain::Explanation;
use strata_model::folder::{resolve, write_atomic};
use strata_model::linear::LinearLoss;

use crate::args::ExplainCmd;

pub fn run(a: ExplainCmd) -> Result<()> {
    let mut model = load(&a.model)?;
    super::name_labels(&mut model, &a.label_names)?;
    let Some(ex) = model.explain(&a.text) else {
        bail!(
            "no token of the text is in the model's vocabulary (hint: explain a text in the training data's language)"
        );
    };
    if let Some(path) = &a.html {
        let probs = model.predict(&[a.text.as_str()]).swap_remove(0).probs;
        let classes = model.labels().labels().iter().map(String::as_str).zip(probs).collect();
        let name = model_name(&a.model);
        let cx = PageContext { text: &a.text, model: &name, classes, scoring: Scoring::of(&model) };
        write_atomic(path, page(&ex, &cx).as_bytes())?;
    }
    if a.json {
        let mut v = serde_json::to_value(&ex)?;
        v["text"] = a.text.clone().into();
        println!("{v}");
        return Ok(());
    }
    println!("{}\t{:.4}", ex.label, ex.score);
    if let Classifier::Ensemble(_) = model {
        print_ensemble_occlusion(&ex);
        return Ok(());
    }
    if model.network().is_none() {
        print_contributions(&ex);
        return Ok(());
    }
    let attention = ex.tokens.iter().any(|t| t.attention.is_some());
    println!("occlusion\tgrad×input\t{}token", if attention { "attention\t" } else { "" });
    let fmt = |v: Option<f32>| v.map_or("      —".to_string(), |v| format!("{v:+.4}"));
    let mut sentence = None;
    for t in &ex.tokens {
        if t.sentence.is_some() && t.sentence != sentence {
            sentence = t.sentence;
            let s = sentence.unwrap_or(0);
            let weight = ex.sentence_attention.get(s).copied().unwrap_or(0.0);
            println!("-- sentence {} (attention {weight:.4})", s + 1);
        }
        let note = if t.occlusion.is_none() { "\t(dropped: not in the vocabulary)" } else { "" };
        let att = if attention {
            format!("{}\t\t", t.attention.map_or("      —".to_string(), |v| format!("{v:.4}")))
        } else {
            String::new()
        };
        println!("{}\t\t{}\t\t{att}{}{note}", fmt(t.occlusion), fmt(t.gradient_x_input), t.token);
    }
    Ok(())
}

/// A linear model's explanation: one exact number per word (its rows' share of the predicted
/// class's logit; the `occlusion` field carries it), so one column.
fn print_contributions(ex: &Explanation) {
    println!("contribution to the logit of {}\ttoken", ex.label);
    for t in &ex.tokens {
        match t.occlusion {
            Some(v) => println!("{v:+.4}\t\t\t\t{}", t.token),
            None => println!("      —\t\t\t\t{}\t(not read by the model)", t.token),
        }
    }
}

/// An ensemble's explanation: the drop of the voted probability when each word is removed.
fn print_ensemble_occlusion(ex: &Explanation) {
    println!("occlusion of the ensemble's probability of {}\ttoken", ex.label);
    for t in &ex.tokens {
        println!("{:+.4}\t\t\t\t{}", t.occlusion.unwrap_or(0.0), t.token);
    }
}

/// A model's name: the folder holding its model folder (a run's name), as `strata serve`
/// shows it.
fn model_name(model: &std::path::Path) -> String {
    let folder = resolve(model).canonicalize().ok();
    folder
        .and_then(|p| p.parent().and_then(|d| d.file_name()).map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| "model".into())
}

/// What the explanation page shows besides the explanation.
struct PageContext<'a> {
    /// The text as typed (the page shades its words in place, punctuation kept).
    text: &'a str,
    /// The model's name: its run folder's (as `strata serve` names it).
    model: &'a str,
    /// Every class's probability, by class index.
    classes: Vec<(&'a str, f32)>,
    /// How the model turns its outputs into those probabilities, and what the shading means.
    scoring: Scoring,
}

/// What a model's score is and what its explanation measures, as the page words them.
#[derive(Clone, Copy, PartialEq)]
enum Scoring {
    /// A network: one sigmoid for two classes, else a softmax; explained by occlusion.
    Network,
    /// A linear model: explained by exact contributions to a logit, scored by a softmax over
    /// all its classes (even two) or, trained one-vs-all, by a sigmoid per class.
    Linear(LinearLoss),
    /// An ensemble: the weighted mean of its members' probabilities, explained by occlusion.
    Ensemble,
    /// NBSVM: explained by exact feature weights, scored by one sigmoid (two classes) or
    /// normalised one-vs-rest sigmoids.
    Nbsvm,
}

impl Scoring {
    fn of(model: &Classifier) -> Scoring {
        match model {
            Classifier::Network(_) => Scoring::Network,
            Classifier::Linear(m) => Scoring::Linear(m.config.loss),
            Classifier::Ensemble(_) => Scoring::Ensemble,
            Classifier::Nbsvm(_) => Scoring::Nbsvm,
        }
    }

    /// What the predicted class's score is.
    fn score(self, classes: usize) -> String {
        match self {
            Scoring::Network if classes == 2 => "its sigmoid output; the other class has the rest".to_string(),
            Scoring::Linear(LinearLoss::OneVsAll) => "its own sigmoid: each class is scored apart".to_string(),
            Scoring::Ensemble => "the weighted mean of the ensemble's members' probabilities".to_string(),
            Scoring::Nbsvm if classes == 2 => "its sigmoid output; the other class has the rest".to_string(),
            Scoring::Nbsvm => format!("its one-vs-rest sigmoid, normalised over the {classes} classes"),
            _ => format!("its softmax over the {classes} classes"),
        }
    }

    /// What a word's shade measures.
    fn shade(self, label: &str) -> String {
        match self {
            Scoring::Network => format!("how much the probability of “{label}” drops when the word is hidden (occlusion)"),
            Scoring::Ensemble => format!(
                "how much the ensemble's probability of “{label}” drops when the word is removed from the text (occlusion; every member re-reads the shortened text)"
            ),
            Scoring::Linear(_) => format!(
                "the word's exact part of the logit of “{label}” (a linear model's logit is the sum of its words' parts and the end of the text's, </s>; a word n-gram's part is split equally among its words)"
            ),
            Scoring::Nbsvm => format!(
                "the word's exact part of the score of “{label}” (NBSVM's score is a bias plus the weight of every n-gram the text has, each split equally over the words of its occurrences)"
            ),
        }
    }
}

/// The explanation as a small self-contained page: the label by name and what its score is,
/// every class's probability, the text with each word shaded by its saliency (colours from
/// `strata_serve::page`, which keep the text at WCAG AA contrast), and a legend.
fn page(ex: &Explanation, cx: &PageContext) -> String {
    use strata_serve::page::{hex, place, shade, INK};
    let esc = strata_report::escape_html;
    let max = ex.tokens.iter().filter_map(|t| t.occlusion).fold(1e-9f32, |m, v| m.max(v.abs()));
    let tokens: Vec<&str> = ex.tokens.iter().map(|t| t.token.as_str()).collect();
    let mut words = String::new();
    for piece in place(cx.text, &tokens) {
        match piece.token.map(|k| &ex.tokens[k]) {
            None => words.push_str(&esc(piece.text)),
            Some(t) => {
                let v = t.occlusion.unwrap_or(0.0);
                let title = t.occlusion.map_or("not read by the model".to_string(), |v| format!("{v:+.4}"));
                words.push_str(&format!(
                    "<span class=\"word\" title=\"{title}\" style=\"background:{}\">{}</span>",
                    hex(shade(v / max)),
                    esc(piece.text)
                ));
            }
        }
    }
    let mut classes: Vec<&(&str, f32)> = cx.classes.iter().collect();
    classes.sort_by(|a, b| b.1.total_cmp(&a.1));
    let rows: String =
        classes.iter().map(|(label, p)| format!("<tr><td>{}</td><td>{p:.3}</td></tr>", esc(label))).collect();
    let label = esc(&ex.label);
    let what = cx.scoring.score(cx.classes.len());
    let shading = esc(&cx.scoring.shade(&ex.label));
    let stops = [(-1.0, "against"), (-0.5, "&nbsp;"), (0.0, "no effect"), (0.5, "&nbsp;"), (1.0, "towards")];
    let legend: String = stops
        .iter()
        .map(|(s, name)| format!("<span class=\"swatch\" style=\"background:{}\">{name}</span> ", hex(shade(*s))))
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>strata explain · {model}</title>\
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:760px;padding:0 1em;color:{ink};background:#fff}}\
.note{{color:#444}}td{{padding:2px .8em 2px 0}}#words{{font-size:1.3em;line-height:2.1;white-space:pre-wrap}}\
.word,.swatch{{padding:2px 2px;border-radius:3px;color:{ink}}}.swatch{{padding:2px .6em;border:1px solid #ccc}}</style></head>\
<body><p class=\"note\">Model {model}</p><h1>{label} <small>probability {score:.3}</small></h1>\
<p class=\"note\">The score is the model's probability that the text is “{label}” ({what}).</p>\
<table aria-label=\"every class's probability\">{rows}</table>\
<p id=\"words\">{words}</p><p>{legend}</p>\
<p class=\"note\">Shade: {shading}, scaled to the \
strongest word (±{max:.4}); green words pushed towards the label, red against it. Hover a word for its number. \
Unshaded: punctuation, spaces and words the model does not read.</p></body></html>\n",
        model = esc(cx.model),
        ink = hex(INK),
        score = ex.score,
    )
}
