/**
 * Where `rookery score --target NAME` runs: one table, each entry loading its
 * module only when asked for, so a local run never loads a cloud SDK.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../../model/user-error.ts';
import type { ScoreFlags } from './score-flags.ts';


/** Runs one scoring and returns the exit status. */
export type ScoreRunner = (flags: ScoreFlags, out: (line: string) => void) => Promise<number>;

export const SCORE_TARGETS = {
  local: async (flags, out) => (await import('./local-target.ts')).scoreLocally(flags, out),
  azure: async (flags, out) => (await cloudTarget<typeof import('./azure-job.ts')>('azure', './azure-job.ts')).scoreOnAzure(flags, out),
  sagemaker: async (flags, out) => (await cloudTarget<typeof import('./sagemaker-job.ts')>('sagemaker', './sagemaker-job.ts')).scoreOnSageMaker(flags, out),
} satisfies Record<string, ScoreRunner>;

export type ScoreTargetName = keyof typeof SCORE_TARGETS;
export const SCORE_TARGET_NAMES = Object.keys(SCORE_TARGETS) as ScoreTargetName[];

/** The runner for `--target`, or a usage error listing the ones there are. */
export function scoreTarget(name: string | undefined): ScoreRunner {
  const key = name ?? 'local';
  if (!Object.hasOwn(SCORE_TARGETS, key)) {
    throw new UserError(`--target ${JSON.stringify(key)} is not one of ${SCORE_TARGET_NAMES.join(', ')}`, { exitCode: 2 });
  }
  return SCORE_TARGETS[key as ScoreTargetName];
}

/**
 * A cloud target's module, by a URL esbuild does not follow: the image's jobs
 * bundle runs `score` on mounted paths and must not carry a cloud SDK for it.
 */
async function cloudTarget<T>(name: string, path: string): Promise<T> {
  const url = new URL(path, import.meta.url);
  if (!existsSync(url)) throw new UserError(`--target ${name} is not available here (${path} is not beside ${new URL(import.meta.url).pathname}): run it from a rookery checkout`, { exitCode: 2 });
  return (await import(url.href)) as T;
}
