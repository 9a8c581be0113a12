// The source files the architecture checks read: every .ts file under the
// layout's top-level folders, read from the working tree (not `git ls-files`,
// so files being moved right now are seen where they are).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const FOLDERS = ['model', 'registry', 'cloud', 'container', 'stacks', 'azure', 'scripts'] as const;
export type Folder = (typeof FOLDERS)[number];

/** Build output, synthesized stacks and generated code are not source. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'cdk.out', 'cdktf.out', '.gen', 'coverage']);
const SOURCE_FILE = /\.(?:ts|mts|cts)$/;
const TEST_FILE = /\.(?:test|spec)\.[mc]?ts$/;
const GENERATED_MARKER = /@generated\b|\bDO NOT EDIT\b|^\/\/ Code generated/m;

export interface SourceFile {
  /** Repository-relative, with `/` separators. */
  path: string;
  text: string;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(join(dir, entry.name));
    }
  }
}

/** Generated code says so in its first lines; it is not held to the style rules. */
export function isGenerated(text: string): boolean {
  return GENERATED_MARKER.test(text.split('\n', 5).join('\n'));
}

export function readSourceFiles(root = REPO_ROOT): SourceFile[] {
  const files: string[] = [];
  for (const folder of FOLDERS) {
    try {
      walk(join(root, folder), files);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return files
    .map((file) => ({ path: relative(root, file).split(sep).join('/'), text: readFileSync(file, 'utf8') }))
    .filter((file) => !TEST_FILE.test(file.path) && !isGenerated(file.text))
    .sort((a, b) => a.path.localeCompare(b.path));
}
