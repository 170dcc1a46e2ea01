// End-to-end browser test of the dashboard: Debian's chromium, headless, driven by playwright-core.
// Usage: node dashboard-e2e.cjs URL SCREENSHOT.png
// Checks that anonymized frames arrive, the score chart updates, switching the method takes effect
// and the side-by-side view shows a second method; saves a screenshot. Exits non-zero with one line on failure.
'use strict';
const { chromium } = require('playwright-core');

async function main() {
  const [url, shot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1250 } });
    await page.goto(url);
    // Frames arrive: the MJPEG <img> has decoded a frame.
    await page.waitForFunction(() => document.getElementById('stream').naturalWidth > 0, null,
      { timeout: 30000 });
    // The chart updates: its point count grows while we watch.
    await page.waitForFunction(() => Number(document.getElementById('chart').dataset.points) >= 1,
      null, { timeout: 60000 });
    const before = Number(await page.$eval('#chart', (e) => e.dataset.points));
    await page.waitForFunction((b) => Number(document.getElementById('chart').dataset.points) > b,
      before, { timeout: 60000 });
    // Switching the method reaches the pipeline and comes back in the status.
    await page.selectOption('#method', 'pixelization');
    await page.waitForFunction(() => document.getElementById('method').dataset.active === 'pixelization',
      null, { timeout: 20000 });
    const status = await (await page.request.get(new URL('/api/status', url).href)).json();
    if (status.config.method !== 'pixelization') throw new Error('status says ' + status.config.method);
    // Stages are listed in pipeline order; the rate stands apart.
    const stages = await page.$$eval('#stages td:first-child', (tds) => tds.map((t) => t.textContent));
    if (stages.join(',') !== 'decode,detect,anonymize,jpeg') throw new Error('stage order ' + stages);
    // The alert threshold control reaches the server.
    await page.$eval('#threshold', (e) => { e.value = '0.3'; e.dispatchEvent(new Event('change')); });
    await page.waitForFunction(async (u) => {
      const s = await (await fetch(u)).json();
      return Math.abs(s.vad.threshold - 0.3) < 1e-9;
    }, new URL('/api/status', url).href, { timeout: 20000 });
    // The side-by-side view: the same frames with a second method.
    await page.selectOption('#compare-method', 'mask');
    await page.waitForFunction(() => {
      const img = document.getElementById('compare');
      return !document.getElementById('compare-box').hidden && img.naturalWidth > 0;
    }, null, { timeout: 20000 });
    await page.waitForTimeout(1500);  // a few frames of both for the screenshot
    await page.screenshot({ path: shot });
    const points = await page.$eval('#chart', (e) => e.dataset.points);
    console.log(`dashboard e2e: frames arrive, chart ${before} -> ${points} points, method switched, stages in order, threshold set, side by side shown; ${shot}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error('dashboard e2e failed: ' + e.message.split('\n')[0]);
  process.exit(1);
});
