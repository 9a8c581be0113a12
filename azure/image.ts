/**
 * The serving image's content hash, computed at synth time from exactly the
 * files the Dockerfile copies out of the build context (its COPY/ADD sources,
 * minus what .dockerignore excludes). The hash is the image tag and the Azure
 * ML environment version, so a change to anything that ends up in the image
 * builds a new image and rolls a new environment; anything else (tests, docs,
 * the Azure app itself) leaves the deployment alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { UserError } from '../model/user-error.ts';

export interface ImageSource {
  /** The docker build context (the repository root). */
  readonly contextDir: string;
  /** The Dockerfile, relative to the context. */
  readonly dockerfile: string;
}

export interface ImageContent {
  /** 16 hex digits of the SHA-256 over the Dockerfile, .dockerignore and every copied file. */
  readonly tag: string;
  /** Context-relative POSIX paths of the copied files, sorted. */
  readonly files: readonly string[];
}

/** Sources of the Dockerfile's COPY and ADD instructions that read the build context (not `--from=` stages). */
export function copySources(dockerfileText: string): string[] {
  const instructions = dockerfileText
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const sources: string[] = [];
  for (const line of instructions) {
    const m = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!m) continue;
    let rest = m[2].trim();
    const flags: string[] = [];
    while (rest.startsWith('--')) {
      const flag = /^--\S+/.exec(rest)![0];
      flags.push(flag);
      rest = rest.slice(flag.length).trim();
    }
    if (flags.some((f) => f.startsWith('--from='))) continue;
    const args = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
    sources.push(...args.slice(0, -1));
  }
  return sources;
}

/** A .dockerignore pattern as Docker matches it: against the whole context-relative path or any parent of it. */
function ignoreMatcher(dockerignoreText: string): (path: string) => boolean {
  const rules = dockerignoreText
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negate, regex: globToRegExp(pattern) };
    });
  return (path) => {
    const candidates = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const { negate, regex } of rules) {
      if (candidates.some((c) => regex.test(c))) ignored = !negate;
    }
    return ignored;
  };
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Files under `dir` (context-relative), not descending into what .dockerignore excludes. */
function walk(contextDir: string, dir: string, ignored: (path: string) => boolean): string[] {
  return readdirSync(join(contextDir, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (ignored(path)) return [];
    if (entry.isDirectory()) return walk(contextDir, path, ignored);
    return entry.isFile() ? [path] : [];
  });
}

/** Every file the Dockerfile copies from the context, as sorted context-relative POSIX paths. */
export function imageFiles(source: ImageSource): string[] {
  const dockerfilePath = join(source.contextDir, source.dockerfile);
  if (!existsSync(dockerfilePath)) {
    throw new UserError(`${dockerfilePath} not found: the serving image is built from it (set ROOKERY_AZURE_DOCKERFILE to use another)`);
  }
  const ignorePath = join(source.contextDir, '.dockerignore');
  const ignored = ignoreMatcher(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  const files = new Set<string>();
  for (const src of copySources(readFileSync(dockerfilePath, 'utf8'))) {
    const pattern = posix.normalize(src).replace(/^\.\/|\/+$/g, '');
    const segments = pattern === '.' ? [] : pattern.split('/');
    const firstGlob = segments.findIndex((seg) => /[*?]/.test(seg));
    const base = (firstGlob === -1 ? segments : segments.slice(0, firstGlob)).join('/');
    const basePath = join(source.contextDir, base);
    if (!existsSync(basePath)) {
      throw new UserError(`${source.dockerfile} copies ${JSON.stringify(src)}, which is not in the build context ${source.contextDir}`);
    }
    let matched: string[];
    if (statSync(basePath).isFile()) matched = firstGlob === -1 ? [base] : [];
    else if (firstGlob === -1) matched = walk(source.contextDir, base, ignored);
    else {
      const regex = globToRegExp(pattern);
      matched = walk(source.contextDir, base, ignored).filter((f) => {
        const parts = f.split('/');
        return parts.some((_, i) => regex.test(parts.slice(0, i + 1).join('/')));
      });
    }
    for (const f of matched) if (!ignored(f)) files.add(f);
  }
  return [...files].sort();
}

/** The content hash that tags the image and names the environment version. */
export function imageContent(source: ImageSource): ImageContent {
  const files = imageFiles(source);
  const hash = createHash('sha256');
  for (const extra of [source.dockerfile, '.dockerignore']) {
    const path = join(source.contextDir, extra);
    hash.update(`${extra}\0`);
    if (existsSync(path)) hash.update(readFileSync(path));
    hash.update('\0');
  }
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(createHash('sha256').update(readFileSync(join(source.contextDir, file))).digest('hex'));
    hash.update('\0');
  }
  return { tag: hash.digest('hex').slice(0, 16), files };
}
