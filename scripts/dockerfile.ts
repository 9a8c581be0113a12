// Reads container/Dockerfile without Docker: its instructions, stages, and the
// final stage's exec-form ENTRYPOINT. The benchmark and the contract tests
// start the server with the entrypoint's node options, so what they measure is
// the command the image runs; the Dockerfile tests check the rest.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './image-payload.ts';

export const DOCKERFILE = join(REPO_ROOT, 'container', 'Dockerfile');

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line)) return;
    if (!pending) startLine = i + 1;
    if (/\\\s*$/.test(line)) {
      pending += `${line.replace(/\\\s*$/, '')} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    if (!full) return;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: startLine });
  });
  return out;
}

/** The global ARGs (before the first FROM, defaults substituted into FROM) and the stages. */
export function stagesOf(instructions: Instruction[]): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      const from = m[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args.get(a ?? b) ?? '');
      stages.push({ from, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k, v = ''] = ins.args.split('=');
        args.set(k.trim(), v.trim());
      }
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { args, stages };
}

/** Shell-like words: quotes grouped, or a JSON array (exec form). */
export function words(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return [...args.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/**
 * The image's ENTRYPOINT as `node <options…> <script>`: the options node gets
 * before the script (V8 heap limits, say), which every run of the bundle that
 * stands for the image must pass too.
 */
export function imageEntrypoint(text = readFileSync(DOCKERFILE, 'utf8')): { nodeOptions: string[]; script: string } {
  const { stages } = stagesOf(parseDockerfile(text));
  const entrypoints = (stages.at(-1)?.instructions ?? []).filter((i) => i.keyword === 'ENTRYPOINT');
  if (entrypoints.length !== 1 || !entrypoints[0].args.startsWith('[')) throw new Error(`${DOCKERFILE}: the final stage needs exactly one exec-form ENTRYPOINT ["node", …, "/app/rookery.mjs"]`);
  const argv = words(entrypoints[0].args);
  if (argv[0] !== 'node' || argv.length < 2) throw new Error(`${DOCKERFILE}: ENTRYPOINT must run node on the bundle, found ${entrypoints[0].args}`);
  return { nodeOptions: argv.slice(1, -1), script: argv[argv.length - 1] };
}
