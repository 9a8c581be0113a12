// The package's bin (`npx rookery`): started as the kernel starts it, through
// its shebang line, with the node options the image's ENTRYPOINT gives the
// same program (bench:score measures it so).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN, binNodeOptions } from '../../scripts/bin/node-options.ts';
import { imageEntrypoint } from '../../scripts/dockerfile.ts';

describe('scripts/bin/rookery.js', () => {
  it("carries the image's node options in its shebang line", () => {
    expect(binNodeOptions()).toEqual(imageEntrypoint().nodeOptions);
    expect(binNodeOptions().length).toBeGreaterThan(0);
  });

  it('runs when executed directly, as npx runs it: env -S splits the options from node', () => {
    const run = spawnSync(BIN, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe('rookery ' + (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  });

  it('binNodeOptions() refuses a shebang line that does not name node through env -S', () => {
    expect(() => binNodeOptions('#!/usr/bin/env node\nimport x;\n')).toThrow(/must be #!\/usr\/bin\/env -S node/);
    expect(binNodeOptions('#!/usr/bin/env -S node --a=1 --b\n')).toEqual(['--a=1', '--b']);
    expect(binNodeOptions('#!/usr/bin/env -S node\n')).toEqual([]);
  });
});
