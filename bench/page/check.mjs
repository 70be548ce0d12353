// Types a sentence (capitals and punctuation included) into strata's predict page, submits it,
// and checks what issue 11 asks of the page: the label by name (one of /v1/model's labels), what
// the score is, every class's probability, the model's name, a legend for the shading, the text
// shown as typed (punctuation kept) with its words shaded, and WCAG AA contrast (4.5:1) for
// every piece of text, computed from the colours Chromium renders. Saves a screenshot.
// Chromium is Debian's (/usr/bin/chromium).
// Usage: node check.mjs URL OUT_PNG
import { chromium } from "playwright-core";

const [url, png] = process.argv.slice(2);
const typed = "A gripping film, but the ending is dull!";
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.goto(url);
  const model = await page.evaluate(async () => (await fetch("/v1/model")).json());
  await page.waitForFunction(() => !document.getElementById("model").textContent.startsWith("Loading"));
  await page.click("#text");
  await page.keyboard.type(typed, { delay: 5 });
  await page.click("#go");
  await page.waitForSelector("#result:not([hidden]) .word", { timeout: 10000 });
  const got = await page.evaluate(() => {
    const text = (id) => document.getElementById(id).textContent.trim();
    return {
      model: text("model"), label: text("label"), score: text("score"), scoreWhat: text("score-what"),
      classes: [...document.querySelectorAll("#classes tr.class")].map((r) => [r.dataset.label, Number(r.dataset.score), r.classList.contains("best")]),
      shown: document.getElementById("words").textContent,
      words: [...document.querySelectorAll(".word")].map((w) => [w.textContent, getComputedStyle(w).backgroundColor]),
      swatches: document.querySelectorAll("#legend .swatch").length, legendWhat: text("legend-what"),
    };
  });
  // contrast of every text-bearing element against the background it is drawn on
  const contrasts = await page.evaluate(() => {
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (e) => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
        if (c.length === 4 && c[3] > 0) return null; // translucent: not allowed on text
      }
      return [255, 255, 255];
    };
    const sel = ".word, .swatch, #label, #score, #score-what, #legend-what, #model, #classes td, h1, p, #error";
    return [...document.querySelectorAll(sel)].filter((e) => e.textContent.trim() && e.offsetParent !== null).map((e) => {
      const fg = rgb(getComputedStyle(e).color).slice(0, 3), bg = background(e);
      if (!bg) return [e.id || e.className || e.tagName, 0];
      const [a, b] = [lum(fg), lum(bg)];
      return [e.id || e.className || e.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
    });
  });
  await page.screenshot({ path: png, fullPage: true });

  const score = Number(got.score.replace(/^probability /, ""));
  const sum = got.classes.reduce((s, [, p]) => s + p, 0);
  const shaded = got.words.filter(([, bg]) => bg !== "rgb(255, 255, 255)").length;
  const worst = contrasts.reduce((m, c) => (c[1] < m[1] ? c : m), ["", Infinity]);
  check(model.labels.includes(got.label), `label '${got.label}' is not one of the model's labels ${model.labels}`);
  check(got.score.startsWith("probability ") && score > 0 && score <= 1, `score '${got.score}' does not say what it is`);
  check(got.scoreWhat.includes(got.label) && got.scoreWhat.includes("probability"), "no explanation of the score");
  check(got.model.includes(model.name), `model name '${model.name}' not shown: '${got.model}'`);
  check(got.classes.length === model.labels.length, `${got.classes.length} class rows for ${model.labels.length} classes`);
  check(model.labels.every((l) => got.classes.some(([c]) => c === l)), "a class is missing from the scores");
  check(Math.abs(sum - 1) < 1e-3, `class probabilities sum to ${sum}`);
  check(got.classes.some(([c, , best]) => best && c === got.label), "the predicted class is not marked");
  check(got.shown === typed, `the text shown is '${got.shown}', typed '${typed}'`);
  check(got.words.length >= 6 && shaded >= 1, `${got.words.length} words, ${shaded} shaded`);
  check(got.words.some(([w]) => w === "A"), "the words keep their case");
  check(got.swatches === 5 && got.legendWhat.length > 40, "no legend for the shading");
  check(contrasts.length >= got.words.length + 5 && worst[1] >= 4.5, `contrast ${worst[1].toFixed(2)}:1 on ${worst[0]}, below 4.5`);
  if (failures.length) {
    console.error("page check failed:\n  " + failures.join("\n  "), { got, worst });
    process.exit(1);
  }
  console.log(`ok: model ${model.name}, label ${got.label} (${got.score}), ${got.classes.length} classes ` +
    `(sum ${sum.toFixed(4)}), ${got.words.length} words, ${shaded} shaded, text kept as typed, legend ` +
    `${got.swatches} swatches, worst contrast ${worst[1].toFixed(2)}:1 (${worst[0]}) over ${contrasts.length} ` +
    `elements; screenshot ${png}`);
} finally {
  await browser.close();
}
