// Opens a rookery report (monitoring or training) in headless Chromium and
// checks it the way a reader would see it, at a narrow (700 px) and a wide
// (1400 px) window: the page loads without errors, asks the network for
// nothing, every chart is drawn, and nothing is wider than the window (no
// sideways scrolling). Drives Debian's Chromium with playwright-core (a
// devDependency, no browser download of its own).
//
//   npm run report:check -- reports/report.html [--width 700 --width 1400] [--screenshot shot.png]
//
// Exit status: 0 when the report passes, 1 when it does not, 2 when it could not be checked.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium as playwrightChromium, errors as playwrightErrors, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The window widths a report must read at: a narrow laptop or split screen, and a wide screen. */
export const VIEWPORTS = [700, 1400] as const;

/** What one window width showed. */
export interface ViewportCheck {
  width: number;
  charts: number;
  drawnCharts: number;
  /** The page's scroll width: more than `width` means sideways scrolling. */
  scrollWidth: number;
  /** Elements whose right edge passes the window's, as `tag#id.class (right px)`. */
  overflowing: string[];
}

export interface ReportCheck {
  ok: boolean;
  problems: string[];
  title: string;
  /** Charts in the rendered DOM, and how many of them drew at least one shape with a size. */
  charts: number;
  drawnCharts: number;
  /** Rows of a #checks table (the monitoring report's), as rendered; 0 when the page has none. */
  checkRows: number;
  viewports: ViewportCheck[];
  /** Requests the page made to anything but its own file. */
  externalRequests: string[];
  errors: string[];
  screenshot?: string;
}

/**
 * What the page reports about itself once loaded: a chart is drawn when it is on screen with a
 * width and holds a shape with an area (a bar, a dot) or a length (a line); an element overflows
 * when its right edge passes the window's (half a pixel of rounding allowed).
 */
const INSPECT = `(() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const sized = (el) => { const b = el.getBBox(); return (b.width > 0 && b.height > 0) || (el.tagName !== 'rect' && el.tagName !== 'circle' && (b.width > 0 || b.height > 0)); };
  const drawn = charts.filter((svg) => svg.getBoundingClientRect().width > 0 && [...svg.querySelectorAll('rect, circle, path, polyline, polygon, line')].some(sized));
  const width = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const overflowing = [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length > 0)
    .map((el) => name(el) + ' (' + Math.round(el.getBoundingClientRect().right) + ' px)');
  return JSON.stringify({
    title: document.title,
    charts: charts.length,
    drawnCharts: drawn.length,
    checkRows: document.querySelectorAll('#checks tbody tr').length,
    scripts: document.querySelectorAll('script').length,
    height: Math.ceil(document.documentElement.scrollHeight),
    scrollWidth: Math.ceil(document.documentElement.scrollWidth),
    overflowing,
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
  scrollWidth: number;
  overflowing: string[];
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
function pageProblems(views: ViewportCheck[], scripts: number, externalRequests: string[], errors: string[]): string[] {
  const problems: string[] = [];
  for (const v of views) {
    const at = `at ${v.width} px`;
    if (v.charts === 0) problems.push(`${at}: no charts (svg.chart) in the rendered page`);
    if (v.drawnCharts < v.charts) problems.push(`${at}: ${v.charts - v.drawnCharts} of ${v.charts} charts drew nothing`);
    if (v.scrollWidth > v.width) problems.push(`${at}: the page is ${v.scrollWidth} px wide (sideways scrolling)`);
    if (v.overflowing.length) problems.push(`${at}: ${v.overflowing.length} elements pass the window's right edge: ${v.overflowing.slice(0, 5).join(', ')}`);
  }
  if (scripts > 0) problems.push(`${scripts} script elements (the report must need none)`);
  if (externalRequests.length) problems.push(`requests outside the file: ${externalRequests.slice(0, 5).join(', ')}`);
  if (errors.length) problems.push(`page errors: ${errors.slice(0, 5).join('; ')}`);
  return problems;
}

export interface CheckOptions {
  /** Window widths to check at. @default VIEWPORTS (700 and 1400 px) */
  widths?: readonly number[];
  /** Write a full-page PNG here, taken at the widest window. */
  screenshot?: string;
  timeoutMs?: number;
  chromium?: string;
}

/** Renders the report in headless Chromium at each width and returns what it found; throws only when the browser cannot be run. */
export async function checkReport(reportPath: string, options: CheckOptions = {}): Promise<ReportCheck> {
  const chromium = options.chromium ?? CHROMIUM;
  if (!existsSync(chromium)) throw new Error(`${chromium} not found: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const file = resolve(reportPath);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run 'rookery monitor' (or 'rookery train --out DIR') first`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const widths = [...(options.widths ?? VIEWPORTS)].sort((a, b) => a - b);
  // Playwright gives Chromium a throwaway profile and ends its whole process group on close.
  const browser = await playwrightChromium.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS, timeout: timeoutMs });
  try {
    const views: ViewportCheck[] = [];
    const errors: string[] = [];
    const externalRequests: string[] = [];
    let facts: PageFacts | undefined;
    let screenshot: string | undefined;
    for (const width of widths) {
      const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1, isMobile: false });
      const shot = options.screenshot && width === widths[widths.length - 1] ? options.screenshot : undefined;
      const seen = await loadAndInspect(page, pathToFileURL(file).href, { timeoutMs, ...(shot ? { screenshot: shot } : {}) });
      facts = seen.page;
      errors.push(...seen.errors.map((e) => `${e} (at ${width} px)`));
      for (const url of seen.externalRequests) if (!externalRequests.includes(url)) externalRequests.push(url);
      screenshot ??= seen.screenshot;
      views.push({ width, charts: facts.charts, drawnCharts: facts.drawnCharts, scrollWidth: facts.scrollWidth, overflowing: facts.overflowing });
      await page.close();
    }
    const problems = pageProblems(views, facts!.scripts, externalRequests, errors);
    const widest = views[views.length - 1];
    return { ok: problems.length === 0, problems, title: facts!.title, charts: widest.charts, drawnCharts: widest.drawnCharts, checkRows: facts!.checkRows, viewports: views, externalRequests, errors, ...(screenshot ? { screenshot } : {}) };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { screenshot: { type: 'string' }, width: { type: 'string', multiple: true } }, allowPositionals: true });
    const bad = parsed.values.width?.find((w) => !/^\d+$/.test(w) || Number(w) < 200);
    if (bad !== undefined) throw new Error(`--width ${bad}: give a window width in pixels (at least 200), e.g. --width 700`);
  } catch (err) {
    console.error(`check-report: ${(err as Error).message}`);
    return 2;
  }
  const report = parsed.positionals[0] ?? 'reports/report.html';
  let result: ReportCheck;
  try {
    result = await checkReport(report, { ...(parsed.values.screenshot ? { screenshot: parsed.values.screenshot } : {}), ...(parsed.values.width ? { widths: parsed.values.width.map(Number) } : {}) });
  } catch (err) {
    console.error(`check-report: ${(err as Error).message}`);
    return 2;
  }
  console.log(`${report}: "${result.title}", ${result.charts} charts (${result.drawnCharts} drawn), ${result.checkRows} checks, ${result.errors.length} page errors, ${result.externalRequests.length} outside requests`);
  for (const v of result.viewports) console.log(`  at ${v.width} px: ${v.drawnCharts} of ${v.charts} charts drawn, page ${v.scrollWidth} px wide, ${v.overflowing.length} elements past the right edge`);
  if (result.screenshot) console.log(`screenshot: ${result.screenshot}`);
  for (const p of result.problems) console.log(`problem: ${p}`);
  console.log(result.ok ? 'report OK' : 'report NOT OK');
  return result.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main();
}
