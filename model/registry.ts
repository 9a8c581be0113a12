import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describeVersion, parseModelRef, type ModelRef } from './reference.ts';
import { UserError } from './user-error.ts';

export interface ModelVersionInfo {
  name: string;
  version: number;
  createdAt: string;
  aliases: string[];
  description?: string;
  runId?: string;
  /** Headline metrics recorded at registration, for listings. */
  metrics?: Record<string, number>;
}

export interface RegisteredModelInfo {
  name: string;
  versions: ModelVersionInfo[];
  aliases: Record<string, number>;
}

export interface RegisterOptions {
  /** Alias moved to the new version; null leaves aliases alone. */
  alias: string | null;
  description?: string;
  runId?: string;
  metrics?: Record<string, number>;
}

/** What `rookery train`, `serve` and `models` need from a registry; a folder and MLflow both provide it. */
export interface ModelRegistry {
  /** Where it is, for messages: a folder path, or `MLflow at <uri>`. */
  readonly location: string;
  /** What it is, for a model's origin: `the local registry`, `MLflow`. */
  readonly label: string;
  register(name: string, artifactDir: string, options: RegisterOptions): Promise<ModelVersionInfo>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
  /** The version a reference points at, and a local directory holding its artifact. */
  resolve(ref: ModelRef): Promise<{ info: ModelVersionInfo; dir: string }>;
  list(): Promise<RegisteredModelInfo[]>;
  /** The folder holding a version's files, when the registry keeps them on this machine (not MLflow's). */
  localPath?(name: string, version: number): string;
}

const VERSION_FILE = 'version.json';
const TRAIN_FIRST = 'run `npm start` or `rookery train` to train and register one';
const ALIASES_FILE = 'aliases.json';

/**
 * A registry in a folder: `<root>/<name>/versions/<n>/` holds each version's
 * artifact and `version.json`; `<root>/<name>/aliases.json` maps aliases to
 * versions. A version is written in a staging folder and renamed into place,
 * so a crash never leaves a half-written version where readers look.
 */
export class LocalRegistry implements ModelRegistry {
  readonly label = 'the local registry';

  constructor(readonly location: string) {}

  async register(name: string, artifactDir: string, options: RegisterOptions): Promise<ModelVersionInfo> {
    parseModelRef(name);
    const modelDir = join(this.location, name);
    const versionsDir = join(modelDir, 'versions');
    mkdirSync(versionsDir, { recursive: true });
    const staging = join(modelDir, `.staging-${randomUUID()}`);
    try {
      copyDirDurably(artifactDir, staging);
      for (let attempt = 0; ; attempt++) {
        const version = this.latestVersion(name) + 1;
        const info: ModelVersionInfo = {
          name,
          version,
          createdAt: new Date().toISOString(),
          aliases: [],
          ...(options.description ? { description: options.description } : {}),
          ...(options.runId ? { runId: options.runId } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
        };
        writeDurably(join(staging, VERSION_FILE), `${JSON.stringify(info, null, 2)}\n`);
        try {
          renameSync(staging, join(versionsDir, String(version)));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // Another writer took this number first: take the next one.
          if ((code === 'ENOTEMPTY' || code === 'EEXIST') && attempt < 100) continue;
          throw err;
        }
        if (options.alias) await this.setAlias(name, options.alias, version);
        return { ...info, aliases: options.alias ? [options.alias] : [] };
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    if (!existsSync(join(this.location, name, 'versions', String(version), VERSION_FILE))) {
      throw new UserError(`model ${name} has no version ${version} in ${this.location}`, { fix: `list the versions with \`rookery models list\`` });
    }
    const aliases = this.aliases(name);
    aliases[alias] = version;
    const file = join(this.location, name, ALIASES_FILE);
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeDurably(tmp, `${JSON.stringify(aliases, null, 2)}\n`);
    renameSync(tmp, file);
  }

  async resolve(ref: ModelRef): Promise<{ info: ModelVersionInfo; dir: string }> {
    let version: number;
    if ('alias' in ref) {
      const v = this.aliases(ref.name)[ref.alias];
      if (v === undefined) {
        throw new UserError(`no ${ref.name}@${ref.alias} in the local registry ${this.location}`, { fix: TRAIN_FIRST });
      }
      version = v;
    } else if ('version' in ref) {
      version = ref.version;
    } else {
      version = this.latestVersion(ref.name);
      if (version === 0) throw new UserError(`no versions of model ${ref.name} in the local registry ${this.location}`, { fix: TRAIN_FIRST });
    }
    const dir = this.localPath(ref.name, version);
    const info = this.readVersion(ref.name, version);
    if (!info) throw new UserError(`${describeVersion(ref, version)} is not in the local registry ${this.location}`, { fix: TRAIN_FIRST });
    return { info, dir };
  }

  localPath(name: string, version: number): string {
    return join(this.location, name, 'versions', String(version));
  }

  async list(): Promise<RegisteredModelInfo[]> {
    if (!existsSync(this.location)) return [];
    return readdirSync(this.location)
      .filter((name) => !name.startsWith('.') && existsSync(join(this.location, name, 'versions')))
      .sort()
      .map((name) => {
        const aliases = this.aliases(name);
        const versions = this.versionNumbers(name).flatMap((v) => {
          const info = this.readVersion(name, v, aliases);
          return info ? [info] : [];
        });
        return { name, versions, aliases };
      });
  }

  private versionNumbers(name: string): number[] {
    const dir = join(this.location, name, 'versions');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => a - b);
  }

  private latestVersion(name: string): number {
    const all = this.versionNumbers(name);
    return all.length ? all[all.length - 1] : 0;
  }

  private aliases(name: string): Record<string, number> {
    const file = join(this.location, name, ALIASES_FILE);
    if (!existsSync(file)) return {};
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
    } catch (err) {
      throw new UserError(`${file} is not valid JSON (${(err as Error).message})`, { fix: 'fix or delete it' });
    }
  }

  private readVersion(name: string, version: number, aliases = this.aliases(name)): ModelVersionInfo | undefined {
    const file = join(this.location, name, 'versions', String(version), VERSION_FILE);
    if (!existsSync(file)) return undefined;
    const info = JSON.parse(readFileSync(file, 'utf8')) as ModelVersionInfo;
    return { ...info, aliases: Object.keys(aliases).filter((a) => aliases[a] === version).sort() };
  }
}

function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function copyDirDurably(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = join(to, entry);
    if (statSync(src).isDirectory()) copyDirDurably(src, dst);
    else {
      const fd = openSync(dst, 'w');
      try {
        writeSync(fd, readFileSync(src));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
}
