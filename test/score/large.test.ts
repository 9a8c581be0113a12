// `rookery score` on a generated file large enough that holding it would show:
// the child's own peak resident memory (maxRSS, printed by --peak-memory) stays
// flat from 30,000 to 300,000 rows, and a run stopped by Ctrl-C or an error
// leaves nothing under the output's name.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOKERY_ENTRY, runCli, type CliResult } from '../helpers/cli.ts';
import { useTempDirs } from '../helpers/temp.ts';
import { scoringModel, writeGeneratedCsv, writeGeneratedParquet } from './fixtures.ts';

const temp = useTempDirs('rookery-score-large-');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** What the peak may grow by from 30,000 to 300,000 rows (seen: 15-30 MiB, V8 growing its heap): holding the 300,000 rows, their text and records, would add well over 100 MiB. */
const GROWTH_MIB = 48;
let registry = '';
let dir = '';

beforeAll(async () => {
  ({ registry } = await scoringModel(temp()));
  dir = temp();
  writeGeneratedCsv(join(dir, 'small.csv'), 30_000);
  writeGeneratedCsv(join(dir, 'large.csv'), 300_000);
  writeGeneratedParquet(join(dir, 'small.parquet'), 30_000, 10_000);
  writeGeneratedParquet(join(dir, 'large.parquet'), 300_000, 10_000);
}, 120_000);

const score = (args: string[], cwd: string) => runCli(['score', ...args], { ROOKERY_REGISTRY: registry }, { cwd, timeoutMs: 120_000 });
const peakMiB = (run: CliResult) => Number(/^peak memory: (\d+) MiB resident \(maxRSS\)$/m.exec(run.stdout)?.[1]);

describe('rookery score on a large file', () => {
  it.each(['csv', 'parquet'])('%s: peak memory stays flat from 30,000 to 300,000 rows', async (format) => {
    const out = temp();
    const small = await score(['--input', join(dir, `small.${format}`), '--output', `small.${format}`, '--peak-memory'], out);
    const large = await score(['--input', join(dir, `large.${format}`), '--output', `large.${format}`, '--peak-memory'], out);
    expect(small.code, small.stderr).toBe(0);
    expect(large.code, large.stderr).toBe(0);
    expect(large.stdout).toMatch(/scored 300000 of 300000 rows/);
    if (format === 'csv') expect(readFileSync(join(out, 'large.csv'), 'utf8').split('\n')).toHaveLength(300_002);
    expect(statSync(join(out, `large.${format}`)).size).toBeGreaterThan(statSync(join(dir, `large.${format}`)).size);
    console.log(`${format}: peak ${peakMiB(small)} MiB at 30,000 rows, ${peakMiB(large)} MiB at 300,000`);
    expect(peakMiB(small)).toBeGreaterThan(0);
    expect(peakMiB(large) - peakMiB(small)).toBeLessThan(GROWTH_MIB);
  }, 240_000);

  it('Ctrl-C stops the run with exit 130 and leaves no file under the output name, nor a temporary one', async () => {
    const out = temp();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, ROOKERY_ENTRY, 'score', '--input', join(dir, 'large.csv'), '--output', 'scores.csv'], {
      cwd: out,
      env: { ...process.env, ROOKERY_REGISTRY: registry },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    // The first progress line comes after the first piece is scored and written: the output has begun.
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      if (/^score: /m.test(c)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toMatch(/^interrupted after \d+ rows; nothing was written to scores\.csv$/m);
    expect(Number(/interrupted after (\d+) rows/.exec(stdout)?.[1])).toBeLessThan(300_000);
    expect(code).toBe(130);
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);

  it('an error late in the file (malformed CSV) leaves no output file either', async () => {
    const out = temp();
    const input = join(out, 'broken.csv');
    writeGeneratedCsv(input, 300_000);
    appendFileSync(input, '300000,"Dream,40,18,190,3500,MALE\n');
    const run = await score(['--input', 'broken.csv', '--output', 'scores.csv'], out);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^rookery: --input broken\.csv: malformed CSV at line 300002: a quoted field is never closed$/m);
    expect(existsSync(join(out, 'scores.csv'))).toBe(false);
    expect(readdirSync(out)).toEqual(['broken.csv']);
  }, 120_000);
});
