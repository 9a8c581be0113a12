/** The `score` command's parsed flags, as each target (scripts/score/targets.ts) reads them. */
export type ScoreFlags = Record<string, string | boolean | (string | boolean)[] | undefined>;
