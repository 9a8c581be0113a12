// Regenerates the README's screenshots of both reports at 1400 px:
// docs/monitoring-report.png from the local loop (`rookery start`: train,
// serve, drifted traffic, label, monitor) and docs/training-report.png from
// `rookery train --out`, each run in a temporary folder with its own registry,
// then checked and photographed by scripts/check-report.ts.
//
//   npm run docs:screenshots
//
// Exit status: 0 when both are written, 1 when a report is missing or fails its check.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkReport } from './check-report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'scripts', 'rookery.ts');
const DOCS = join(ROOT, 'docs');
const WIDTH = 1400;
/** tsx's loader by absolute URL: the runs happen in a temporary folder, outside the checkout's node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs `rookery ARGS` in `cwd` with its own registry; throws with its output when it fails. */
function rookery(args: string[], cwd: string): void {
  const result = spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], {
    cwd,
    env: { ...process.env, ROOKERY_REGISTRY: join(cwd, 'registry'), NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.status !== 0) throw new Error(`rookery ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
}

/** Checks the report at 1400 px and writes its full-page screenshot into docs/. */
async function photograph(report: string, name: string): Promise<boolean> {
  const target = join(DOCS, name);
  const result = await checkReport(report, { widths: [WIDTH], screenshot: target });
  for (const p of result.problems) console.error(`${name}: ${p}`);
  if (result.ok) console.log(`wrote ${relative(process.cwd(), target) || target} (${result.charts} charts)`);
  return result.ok;
}

async function main(): Promise<number> {
  mkdirSync(DOCS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'rookery-screenshots-'));
  let ok = true;
  try {
    rookery(['start', '--dir', join(dir, 'start'), '--out', join(dir, 'monitor')], dir);
    ok = (await photograph(join(dir, 'monitor', 'report.html'), 'monitoring-report.png')) && ok;

    rookery(['train', '--out', join(dir, 'model'), '--no-register'], dir);
    const training = join(dir, 'model', 'report.html');
    if (existsSync(training)) ok = (await photograph(training, 'training-report.png')) && ok;
    else {
      console.error(`training report: 'rookery train --out DIR' wrote no DIR/report.html (looked for ${training}); docs/training-report.png was left as it was`);
      ok = false;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
