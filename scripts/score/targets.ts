/**
 * Where `rookery score --target NAME` runs: one table, each entry loading its
 * module only when asked for, so a local run never loads a cloud SDK.
 */
import { UserError } from '../../model/user-error.ts';

/** The `score` command's parsed flags, as each target reads them. */
export type ScoreFlags = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Runs one scoring and returns the exit status. */
export type ScoreRunner = (flags: ScoreFlags, out: (line: string) => void) => Promise<number>;

export const SCORE_TARGETS = {
  local: async (flags, out) => (await import('./local-target.ts')).scoreLocally(flags, out),
  azure: async (flags, out) => (await import('./azure-job.ts')).scoreOnAzure(flags, out),
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
