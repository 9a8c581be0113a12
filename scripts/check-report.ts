// Opens a monitoring report in headless Chromium and checks it the way a
// reader would see it: the page loads without errors, asks the network for
// nothing, and every chart is drawn. Talks to the browser over the DevTools
// protocol on a pipe (--remote-debugging-pipe), so it needs no npm package.
//
//   npm run report:check -- reports/report.html [--screenshot shot.png]
//
// Exit status: 0 when the report passes, 1 when it does not, 2 when it could not be checked.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Readable, Writable } from 'node:stream';

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

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** A DevTools protocol connection over Chromium's fds 3 (commands in) and 4 (replies out), NUL-separated JSON. */
class Cdp {
  private next = 1;
  private buffer = '';
  private readonly waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((m: Message) => void)[] = [];

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        if (message.id !== undefined && this.waiting.has(message.id)) {
          const w = this.waiting.get(message.id)!;
          this.waiting.delete(message.id);
          if (message.error) w.reject(new Error(message.error.message));
          else w.resolve(message.result ?? {});
        } else {
          for (const l of this.listeners) l(message);
        }
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.next++;
    this.input.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  on(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  waitFor(method: string, sessionId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${method}`)), timeoutMs);
      this.on((m) => {
        if (m.method === method && m.sessionId === sessionId) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
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

/** Chromium, headless, driven over --remote-debugging-pipe (fds 3 and 4), with its own throwaway profile. */
function launchChromium(chromium: string, profile: string): ChildProcess {
  return spawn(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--no-default-browser-check',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    // Its own process group, so the renderer and helper processes it starts can be ended with it.
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true },
  );
}

/** Collects the page's errors, warnings and requests to anything but its own file, as they happen. */
function watchPage(cdp: Cdp, sessionId: string, pageUrl: string): { errors: string[]; externalRequests: string[] } {
  const errors: string[] = [];
  const externalRequests: string[] = [];
  cdp.on((m) => {
    if (m.sessionId !== sessionId || !m.params) return;
    const p = m.params as Record<string, any>;
    if (m.method === 'Runtime.exceptionThrown') errors.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
    if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning' || p.type === 'assert')) {
      errors.push(`console.${p.type}: ${(p.args ?? []).map((a: any) => a.value ?? a.description).join(' ')}`);
    }
    if (m.method === 'Log.entryAdded' && (p.entry?.level === 'error' || p.entry?.level === 'warning')) errors.push(`${p.entry.source} ${p.entry.level}: ${p.entry.text}`);
    if (m.method === 'Network.requestWillBeSent') {
      const url = String(p.request?.url ?? '');
      if (url !== pageUrl && !url.startsWith('data:') && !url.startsWith('about:')) externalRequests.push(url);
    }
  });
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

/** Loads the page in a new tab, reads INSPECT's facts and, when asked, writes a full-page screenshot. */
async function loadAndInspect(cdp: Cdp, pageUrl: string, options: { screenshot?: string; timeoutMs: number }, failedToStart: Promise<never>) {
  const { targetId } = (await Promise.race([cdp.send('Target.createTarget', { url: 'about:blank' }), failedToStart])) as { targetId: string };
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const seen = watchPage(cdp, sessionId, pageUrl);
  for (const domain of ['Page', 'Runtime', 'Log', 'Network']) await cdp.send(`${domain}.enable`, {}, sessionId);
  await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = cdp.waitFor('Page.loadEventFired', sessionId, options.timeoutMs);
  await cdp.send('Page.navigate', { url: pageUrl }, sessionId);
  await loaded;
  const evaluated = (await cdp.send('Runtime.evaluate', { expression: INSPECT, returnByValue: true }, sessionId)) as { result: { value: string } };
  const page = JSON.parse(evaluated.result.value) as PageFacts;
  let screenshot: string | undefined;
  if (options.screenshot) {
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1200, height: page.height, deviceScaleFactor: 1, mobile: false }, sessionId);
    const shot = (await cdp.send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
    screenshot = resolve(options.screenshot);
    writeFileSync(screenshot, Buffer.from(shot.data, 'base64'));
  }
  await cdp.send('Browser.close').catch(() => {});
  return { page, ...seen, ...(screenshot ? { screenshot } : {}) };
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

/** Browser.close normally ends it; give it a moment, then end the whole group (helpers outlive the browser briefly and keep writing the profile). */
async function endBrowser(browser: ChildProcess, exited: Promise<void>, profile: string): Promise<void> {
  let grace: NodeJS.Timeout | undefined;
  const closed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (grace = setTimeout(() => r(false), 3_000)))]);
  clearTimeout(grace);
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-browser.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  if (!closed) group('SIGTERM');
  const killer = setTimeout(() => group('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killer);
  group('SIGKILL');
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {
    // A leftover folder in the temp directory is not worth failing the check over.
  }
}

/** Renders the report in headless Chromium and returns what it found; throws only when the browser cannot be run. */
export async function checkReport(reportPath: string, options: { screenshot?: string; timeoutMs?: number; chromium?: string } = {}): Promise<ReportCheck> {
  const chromium = options.chromium ?? CHROMIUM;
  if (!existsSync(chromium)) throw new Error(`${chromium} not found: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const file = resolve(reportPath);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run 'rookery monitor' first`);
  const profile = mkdtempSync(join(tmpdir(), 'rookery-chromium-'));
  const browser = launchChromium(chromium, profile);
  const exited = new Promise<void>((r) => browser.once('exit', () => r()));
  try {
    const cdp = new Cdp(browser.stdio[3] as Writable, browser.stdio[4] as Readable);
    const failedToStart = new Promise<never>((_, reject) => browser.once('error', reject));
    const inspectOptions = { timeoutMs: options.timeoutMs ?? 30_000, ...(options.screenshot ? { screenshot: options.screenshot } : {}) };
    const { page, errors, externalRequests, screenshot } = await loadAndInspect(cdp, pathToFileURL(file).href, inspectOptions, failedToStart);
    const problems = pageProblems(page, externalRequests, errors);
    return { ok: problems.length === 0, problems, title: page.title, charts: page.charts, drawnCharts: page.drawnCharts, checkRows: page.checkRows, externalRequests, errors, ...(screenshot ? { screenshot } : {}) };
  } finally {
    await endBrowser(browser, exited, profile);
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
