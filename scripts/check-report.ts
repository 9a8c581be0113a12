// Opens a monitoring report in headless Chromium and checks it the way a
// reader would see it: the page loads without errors, asks the network for
// nothing, and every chart is drawn. Drives Debian's Chromium with
// playwright-core (a devDependency, no browser download of its own).
//
//   npm run report:check -- reports/report.html [--screenshot shot.png]
//
// Exit status: 0 when the report passes, 1 when it does not, 2 when it could not be checked.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium as playwrightChromium, errors as playwrightErrors, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export interface ReportCheck {
  ok: boolean;
  problems: string[];
  title: string;
  /** Charts in the rendered DOM, and how many of them drew at least one shape with a size. */
  charts: number;
  drawnCharts: number;
  /** Summary check rows and failed ones, as rendered. */
  checkRows: number;
  /** Requests the page made to anything but its own file. */
  externalRequests: string[];
  errors: string[];
  screenshot?: string;
}

/** What the page reports about itself once loaded. */
const INSPECT = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const drawn = charts.filter((svg) => [...svg.querySelectorAll('rect')].some((r) => r.getBBox().width > 0 && r.getBBox().height > 0) && svg.getBoundingClientRect().width > 0);
  return JSON.stringify({
    title: document.title,
    charts: charts.length,
    drawnCharts: drawn.length,
    checkRows: document.querySelectorAll('#checks tbody tr').length,
    scripts: document.querySelectorAll('script').length,
    height: Math.ceil(document.documentElement.scrollHeight),
  });
})()`;

/**
 * Flags on top of Playwright's own (which already turn off background networking, component
 * updates, sync and first-run prompts): this machine has no GPU and no way out for QUIC.
 */
const CHROMIUM_ARGS = ['--disable-gpu', '--disable-quic'];

/** Only the report's own file and inline data may load. */
const ownResource = (url: string, pageUrl: string) => url === pageUrl || url.startsWith('data:') || url.startsWith('about:');

/**
 * Collects the page's errors and warnings (console calls and the browser's own log, which
 * Playwright reports as console messages) and its requests to anything but its own file,
 * which are also blocked so the check never reaches the network.
 */
async function watchPage(page: Page, pageUrl: string): Promise<{ errors: string[]; externalRequests: string[] }> {
  const errors: string[] = [];
  const externalRequests: string[] = [];
  page.on('pageerror', (err) => errors.push(`exception: ${err.stack || `${err.name}: ${err.message}`}`));
  page.on('console', (message) => {
    const type = message.type();
    if (type === 'error' || type === 'warning' || type === 'assert') errors.push(`console.${type}: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!ownResource(request.url(), pageUrl)) externalRequests.push(request.url());
  });
  await page.route('**/*', (route) => (ownResource(route.request().url(), pageUrl) ? route.continue() : route.abort('blockedbyclient')));
  return { errors, externalRequests };
}

interface PageFacts {
  title: string;
  charts: number;
  drawnCharts: number;
  checkRows: number;
  scripts: number;
  height: number;
}

/** Loads the page, reads INSPECT's facts and, when asked, writes a full-page screenshot. */
async function loadAndInspect(page: Page, pageUrl: string, options: { screenshot?: string; timeoutMs: number }) {
  const seen = await watchPage(page, pageUrl);
  try {
    await page.goto(pageUrl, { waitUntil: 'load', timeout: options.timeoutMs });
  } catch (err) {
    if (err instanceof playwrightErrors.TimeoutError) throw new Error(`timed out after ${options.timeoutMs} ms waiting for the page to load`, { cause: err });
    throw err;
  }
  const facts = JSON.parse((await page.evaluate(INSPECT)) as string) as PageFacts;
  let screenshot: string | undefined;
  if (options.screenshot) {
    screenshot = resolve(options.screenshot);
    await page.screenshot({ path: screenshot, type: 'png', fullPage: true });
  }
  return { page: facts, ...seen, ...(screenshot ? { screenshot } : {}) };
}

/** What would make the report look wrong to a reader. */
function pageProblems(page: PageFacts, externalRequests: string[], errors: string[]): string[] {
  const problems: string[] = [];
  if (page.charts === 0) problems.push('no charts (svg.chart) in the rendered page');
  if (page.drawnCharts < page.charts) problems.push(`${page.charts - page.drawnCharts} of ${page.charts} charts drew nothing`);
  if (page.checkRows === 0) problems.push('no checks table rows');
  if (page.scripts > 0) problems.push(`${page.scripts} script elements (the report must need none)`);
  if (externalRequests.length) problems.push(`requests outside the file: ${externalRequests.slice(0, 5).join(', ')}`);
  if (errors.length) problems.push(`page errors: ${errors.slice(0, 5).join('; ')}`);
  return problems;
}

/** Renders the report in headless Chromium and returns what it found; throws only when the browser cannot be run. */
export async function checkReport(reportPath: string, options: { screenshot?: string; timeoutMs?: number; chromium?: string } = {}): Promise<ReportCheck> {
  const chromium = options.chromium ?? CHROMIUM;
  if (!existsSync(chromium)) throw new Error(`${chromium} not found: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const file = resolve(reportPath);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run 'rookery monitor' first`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  // Playwright gives Chromium a throwaway profile and ends its whole process group on close.
  const browser = await playwrightChromium.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS, timeout: timeoutMs });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1, isMobile: false });
    const inspectOptions = { timeoutMs, ...(options.screenshot ? { screenshot: options.screenshot } : {}) };
    const { page: facts, errors, externalRequests, screenshot } = await loadAndInspect(page, pathToFileURL(file).href, inspectOptions);
    const problems = pageProblems(facts, externalRequests, errors);
    return { ok: problems.length === 0, problems, title: facts.title, charts: facts.charts, drawnCharts: facts.drawnCharts, checkRows: facts.checkRows, externalRequests, errors, ...(screenshot ? { screenshot } : {}) };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { screenshot: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    console.error(`check-report: ${(err as Error).message}`);
    return 2;
  }
  const report = parsed.positionals[0] ?? 'reports/report.html';
  let result: ReportCheck;
  try {
    result = await checkReport(report, parsed.values.screenshot ? { screenshot: parsed.values.screenshot } : {});
  } catch (err) {
    console.error(`check-report: ${(err as Error).message}`);
    return 2;
  }
  console.log(`${report}: "${result.title}", ${result.charts} charts (${result.drawnCharts} drawn), ${result.checkRows} checks, ${result.errors.length} page errors, ${result.externalRequests.length} outside requests`);
  if (result.screenshot) console.log(`screenshot: ${result.screenshot}`);
  for (const p of result.problems) console.log(`problem: ${p}`);
  console.log(result.ok ? 'report OK' : 'report NOT OK');
  return result.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main();
}
