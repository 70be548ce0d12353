// Types a sentence into strata's predict page, submits it, and checks that the label, the
// score and the shaded words appear; saves a screenshot. Chromium is Debian's (/usr/bin/chromium).
// Usage: node check.mjs URL OUT_PNG
import { chromium } from "playwright-core";

const [url, png] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  await page.goto(url);
  await page.click("#text");
  await page.keyboard.type("a gripping film , but the ending is dull", { delay: 5 });
  await page.click("#go");
  await page.waitForSelector("#result:not([hidden]) .word", { timeout: 10000 });
  const label = (await page.textContent("#label")).trim();
  const score = Number((await page.textContent("#score")).trim());
  const words = await page.$$eval(".word", (ws) => ws.map((w) => [w.textContent, w.style.background, w.dataset.saliency]));
  await page.screenshot({ path: png });
  const shaded = words.filter(([, bg]) => bg && !bg.endsWith(", 0)")).length;
  if (!label || !(score > 0 && score <= 1) || words.length < 5 || shaded < 1) {
    console.error("page check failed:", { label, score, words });
    process.exit(1);
  }
  console.log(`ok: label ${label} (${score.toFixed(3)}), ${words.length} words, ${shaded} shaded; screenshot ${png}`);
} finally {
  await browser.close();
}
