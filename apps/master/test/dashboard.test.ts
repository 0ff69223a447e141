/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, installed by scripts/test.sh, driven by
 * playwright-core, which downloads no browser) opens the master's page while the 4-stage example runs on a real
 * cluster. The four stages are drawn as boxes, their queues as edges (with each stage's fail queue), the worker is
 * listed, and the counters move as inputs flow, without reloading, until every stage shows all of them. A screenshot
 * is saved under apps/master/test-results/ (MONOMYTH_TEST_OUTPUT to put it elsewhere). Without Chromium the test
 * fails, saying so.
 */
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPES, startObservedCluster } from './observed-cluster.js';
import type { ObservedCluster } from './observed-cluster.js';

const INPUTS = 3000;
const OUTPUT_DIR =
  process.env.MONOMYTH_TEST_OUTPUT ?? fileURLToPath(new URL('../test-results/', import.meta.url));

/** The browser: CHROMIUM_BIN, else `chromium` on the PATH. */
function chromiumBinary(): string {
  const given = process.env.CHROMIUM_BIN;
  if (given) return given;
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '')
    throw new Error(
      'chromium is not installed: scripts/test.sh installs it (apt-get install chromium), or set CHROMIUM_BIN',
    );
  return path;
}

let cluster: ObservedCluster | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  const executablePath = chromiumBinary();
  cluster = await startObservedCluster();
  // --no-sandbox: the suite may run as root (CI containers), where Chromium's sandbox refuses to start; and containers
  // often have a small /dev/shm, which Chromium would otherwise fill.
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

/** The number a stage box shows in one of its fields (`processed`, `rate`, ...). */
async function field(page: Page, type: string, name: string): Promise<number> {
  const text = await page.locator(`[data-stage="${type}"] [data-field="${name}"]`).textContent();
  return Number((text ?? '').replace(/[^0-9.]/g, ''));
}

describe('the dashboard in headless Chromium', () => {
  it('dashboard - draws the four stages and their queues, lists the worker, and its counters move live', async () => {
    const page = await browser!.newPage({ viewport: { width: 1500, height: 700 } });
    await page.goto(`${cluster!.masterHttp}/`);
    for (const type of TYPES)
      await page.locator(`[data-stage="${type}"]`).waitFor({ timeout: 10_000 });
    for (const queue of [
      'START-to-TEST-NODE1',
      'TEST-NODE1-to-TEST-NODE2',
      'TEST-NODE2-to-TEST-NODE3',
      'TEST-NODE3-to-TEST-NODE4',
      'TEST-NODE4-to-END',
      ...TYPES.map((type) => `${type}-fail`),
    ])
      expect(await page.locator(`[data-queue="${queue}"]`).count(), queue).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('[data-worker="observed-worker"]').count(), { timeout: 10_000 })
      .toBe(1);
    for (const type of TYPES)
      await expect
        .poll(() => page.locator(`[data-stage="${type}"] [data-field="running"]`).textContent())
        .toBe('1/1');

    const before = await field(page, 'TEST-NODE4', 'processed');
    await cluster!.publish(INPUTS);
    // Moving: a count between the first and the last, read from the same page (no reload).
    await expect
      .poll(() => field(page, 'TEST-NODE4', 'processed'), { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(before);
    for (const type of TYPES)
      await expect
        .poll(() => field(page, type, 'processed'), { timeout: 60_000, interval: 250 })
        .toBe(INPUTS);

    await mkdir(OUTPUT_DIR, { recursive: true });
    const screenshot = join(OUTPUT_DIR, 'dashboard.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`dashboard screenshot: ${screenshot}`);
  });
});
