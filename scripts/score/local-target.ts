/** `rookery score --target local` (the default): this process reads, scores and writes. */
import { resolveModelSource } from '../../container/config.ts';
import { UserError } from '../../model/user-error.ts';
import { numberFlag } from '../command.ts';
import { scoreFormats } from './format.ts';
import { assertDistinct, runScore } from './run.ts';
import type { ScoreFlags } from './score-flags.ts';

export async function scoreLocally(flags: ScoreFlags, out: (line: string) => void): Promise<number> {
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const input = text('input');
  const output = text('output');
  if (!input || !output) {
    throw new UserError(`${!input ? '--input' : '--output'} is required (see 'rookery score --help')`, { exitCode: 2 });
  }
  const rejects = text('rejects');
  const files = { input, output, ...(rejects ? { rejects } : {}) };
  assertDistinct(files);
  return runScore(
    {
      ...files,
      model: resolveModelSource(text('model'), process.env),
      format: scoreFormats(input, output, text('format')),
      maxRejects: numberFlag('max-rejects', text('max-rejects'), 0, { integer: true, min: 0 }),
      peakMemory: flags['peak-memory'] === true,
    },
    out,
  );
}
