// What counts as "a command a workflow runs", for the test that the README documents each one.
//
// The rule, applied to each step's `run:` script:
//  1. a line ending in `\` is joined with the next one;
//  2. blank lines and `#` comments are dropped;
//  3. job-summary plumbing is dropped: a line that only writes text into the job summary, i.e.
//     `echo`, `printf`, `tail` or `cat` whose output is appended with `>> "$GITHUB_STEP_SUMMARY"`;
//  4. from what is left, leading environment assignments (`NAME=value `) are kept (the README
//     shows them too), and a trailing copy of the output (` 2>&1 | tee -a "$GITHUB_STEP_SUMMARY"`,
//     ` 2>&1 | tee FILE`) is removed: it changes where output goes, not what runs.
// The result, trimmed, must equal a line of a fenced code block in README.md (that line's own
// trailing `# comment` removed).

const SUMMARY_PLUMBING = /^(echo|printf|tail|cat)\b.*>> "\$GITHUB_STEP_SUMMARY"$/;
const OUTPUT_COPY = /\s+(2>&1\s+)?\|\s+tee(\s+-a)?\s+("\$GITHUB_STEP_SUMMARY"|[\w./-]+)$/;

export function runCommands(script: string): string[] {
  const joined = script.replace(/\s*\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !SUMMARY_PLUMBING.test(l))
    .map((l) => l.replace(OUTPUT_COPY, '').trim());
}

/** The lines of README.md's fenced code blocks, each without its trailing comment and blanks. */
export function documentedCommands(readme: string): Set<string> {
  const out = new Set<string>();
  let inBlock = false;
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) {
      inBlock = !inBlock;
      continue;
    }
    if (!inBlock) continue;
    const command = line.replace(/\s+#\s.*$/, '').trim();
    if (command) out.add(command);
  }
  return out;
}
