// The serving image's Dockerfile and bundle, checked without Docker: the
// stages, the entrypoint SageMaker runs, what is copied from the repository
// and from the build stage, no secrets, no dev dependencies, and a bundle that
// carries only the serving and training code (no cloud SDK, no IaC, no tests).
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, posix, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVING_PORT } from '../../container/contract.ts';
import { BLOB_BUNDLE, BUNDLE, JOBS_BUNDLE } from '../../scripts/build-image.ts';
import { DOCKERFILE, imageEntrypoint, parseDockerfile, stagesOf, words, type Stage, type Instruction } from '../../scripts/dockerfile.ts';
import { IMAGE_LOCKFILE, IMAGE_PACKAGE, REPO_ROOT } from '../../scripts/image-payload.ts';
import { fixture, serve, stopAll } from '../helpers/server.ts';

interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  /** The destination resolved against the stage's WORKDIR at that point. */
  absoluteDest: string;
  workdir: string;
  line: number;
}

function copiesOf(stage: Stage): Copy[] {
  let workdir = '/';
  const out: Copy[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword !== 'COPY' && ins.keyword !== 'ADD') continue;
    const w = words(ins.args);
    const flags = w.filter((x) => x.startsWith('--'));
    const rest = w.filter((x) => !x.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    const dest = rest[rest.length - 1];
    out.push({ ...(from ? { from } : {}), sources: rest.slice(0, -1), dest, absoluteDest: posix.resolve(workdir, dest), workdir, line: ins.line });
  }
  return out;
}

/** RUN commands with the WORKDIR each runs in. */
function runsOf(stage: Stage): { command: string; workdir: string }[] {
  let workdir = '/';
  const out: { command: string; workdir: string }[] = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword === 'RUN') out.push({ command: ins.args, workdir });
  }
  return out;
}

/** KEY=VALUE pairs of LABEL and ENV (the legacy `ENV KEY VALUE` form too). */
function pairs(ins: Instruction): [string, string][] {
  const w = words(ins.args);
  if (ins.keyword === 'ENV' && w.length >= 2 && !w[0].includes('=')) return [[w[0], w.slice(1).join(' ')]];
  return w.map((x) => {
    const i = x.indexOf('=');
    return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i + 1).replace(/^"(.*)"$/, '$1')];
  });
}

const dockerfile = readFileSync(DOCKERFILE, 'utf8');
const instructions = parseDockerfile(dockerfile);
const { args: globalArgs, stages } = stagesOf(instructions);
const finalStage = stages[stages.length - 1];
const buildStage = stages.find((s) => s.name === 'build');

afterAll(() => stopAll());

describe('container/Dockerfile', () => {
  it('is multi-stage: a build stage, then a final stage from the same Node image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage).toBeDefined();
    expect(finalStage).not.toBe(buildStage);
    expect(finalStage.from).toBe(buildStage!.from);
    expect(finalStage.from).toMatch(/^node:\d+/);
    expect(globalArgs.get('NODE_IMAGE')).toBe(finalStage.from);
  });

  it('runs node on the bundle with an exec-form ENTRYPOINT (SIGTERM reaches node; `serve` arrives as an argument), serve by default', () => {
    const entrypoints = finalStage.instructions.filter((i) => i.keyword === 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    expect(entrypoints[0].args.startsWith('[')).toBe(true);
    const argv = JSON.parse(entrypoints[0].args) as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).not.toMatch(/tini|dumb-init|\bsh\b|bash/);
    const bundleCopy = copiesOf(finalStage).find((c) => c.from === 'build' && c.sources.some((s) => s.endsWith('.mjs')));
    expect(bundleCopy).toBeDefined();
    // node, its options, the bundle: what imageEntrypoint() hands the benchmark and the contract tests.
    expect(argv.at(-1)).toBe(bundleCopy!.absoluteDest);
    expect(imageEntrypoint()).toEqual({ nodeOptions: argv.slice(1, -1), script: bundleCopy!.absoluteDest });
    const cmd = finalStage.instructions.filter((i) => i.keyword === 'CMD');
    expect(cmd.map((c) => JSON.parse(c.args))).toEqual([['serve']]);
  });

  it('bounds the young generation of the serving process (the memory target; see README, Serving)', () => {
    const { nodeOptions } = imageEntrypoint();
    for (const option of nodeOptions) expect(option).toMatch(/^--[a-z0-9-]+(=\S+)?$/);
    const semiSpace = nodeOptions.map((o) => /^--max-semi-space-size=(\d+)$/.exec(o)).find(Boolean);
    expect(semiSpace, 'a --max-semi-space-size=N option').toBeTruthy();
    expect(Number(semiSpace![1])).toBeGreaterThanOrEqual(1);
    expect(Number(semiSpace![1])).toBeLessThanOrEqual(8);
  });

  it('imageEntrypoint() refuses an entrypoint the benchmark could not reproduce', () => {
    expect(() => imageEntrypoint('FROM node:24\nENTRYPOINT node /app/rookery.mjs\n')).toThrow(/exec-form ENTRYPOINT/);
    expect(() => imageEntrypoint('FROM node:24\nENTRYPOINT ["/bin/sh", "-c", "node /app/rookery.mjs"]\n')).toThrow(/must run node/);
    expect(imageEntrypoint('FROM node:24 AS build\nENTRYPOINT ["x"]\nFROM node:24\nENTRYPOINT ["node", "--a=1", "/app/r.mjs"]\n')).toEqual({ nodeOptions: ['--a=1'], script: '/app/r.mjs' });
  });

  it('declares SageMaker’s bind-to-port capability and exposes the serving port', () => {
    const labels = Object.fromEntries(finalStage.instructions.filter((i) => i.keyword === 'LABEL').flatMap(pairs));
    expect(labels['com.amazonaws.sagemaker.capabilities.accept-bind-to-port']).toBe('true');
    const exposed = finalStage.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => words(i.args));
    expect(exposed).toEqual([String(SERVING_PORT)]);
  });

  it('copies from the build context only files that exist in the repository and are not in .dockerignore', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const globToRegExp = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    const sources = stages.flatMap(copiesOf).filter((c) => !c.from).flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source, 'no globs or URLs to check').not.toMatch(/[*?[]|:\/\//);
      expect(existsSync(join(REPO_ROOT, source)), `${source} exists`).toBe(true);
      for (const pattern of ignored) expect(globToRegExp(pattern).test(source.replace(/\/$/, '')), `${source} is excluded by .dockerignore's ${pattern}`).toBe(false);
    }
  });

  it('copies from the build stage only what the build stage makes: the bundle at scripts/build-image.ts’s BUNDLE path, and the --omit=dev runtime install', () => {
    const fromBuild = copiesOf(finalStage).filter((c) => c.from);
    expect(fromBuild.map((c) => c.from)).toEqual(fromBuild.map(() => 'build'));
    const buildRuns = runsOf(buildStage!);
    const buildCopies = copiesOf(buildStage!);
    for (const copy of fromBuild) {
      for (const source of copy.sources) {
        if (source.endsWith('.mjs')) {
          // The repository is copied to the build stage's WORKDIR, the bundle built there.
          const run = buildRuns.find((r) => r.command.includes('scripts/build-image.ts'));
          expect(run, 'a RUN builds the bundle').toBeDefined();
          const built = [BUNDLE, JOBS_BUNDLE, BLOB_BUNDLE].map((b) => posix.join(run!.workdir, relative(REPO_ROOT, b).split('\\').join('/')));
          expect(built).toContain(source);
          for (const folder of ['model/', 'container/', 'scripts/']) {
            expect(buildCopies.some((c) => !c.from && c.sources.includes(folder) && c.absoluteDest === posix.join(run!.workdir, folder.slice(0, -1))), `${folder} is copied to ${run!.workdir}`).toBe(true);
          }
        } else if (/node_modules\/?$/.test(source)) {
          const dir = posix.dirname(source.replace(/\/$/, ''));
          const install = buildRuns.find((r) => r.workdir === dir && /npm (install|ci)\b/.test(r.command));
          expect(install, `a RUN installs packages in ${dir}`).toBeDefined();
          expect(install!.command).toMatch(/--omit=dev/);
          expect(install!.command).toContain('container/image-package.json');
        } else {
          throw new Error(`COPY --from=build ${source}: no check for what makes it`);
        }
      }
    }
    expect(fromBuild.flatMap((c) => c.sources).sort()).toEqual(['/runtime/node_modules/', `/src/${relative(REPO_ROOT, BUNDLE)}`, `/src/${relative(REPO_ROOT, JOBS_BUNDLE)}`, `/src/${relative(REPO_ROOT, BLOB_BUNDLE)}`].sort());
  });

  it('installs no dev dependencies in the final stage, and only the native addon at run time', () => {
    for (const run of runsOf(finalStage)) expect(run.command).not.toMatch(/npm (ci|install)\b(?![^&|;]*--omit=dev)/);
    const imagePackage = JSON.parse(readFileSync(join(REPO_ROOT, 'container', 'image-package.json'), 'utf8'));
    const rootPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(imagePackage.devDependencies).toBeUndefined();
    expect(Object.keys(imagePackage.dependencies)).toEqual(['better-sqlite3']);
    // The same version the tests run against.
    expect(imagePackage.dependencies['better-sqlite3']).toBe(rootPackage.dependencies['better-sqlite3']);
    const copiedNodeModules = copiesOf(finalStage).filter((c) => c.absoluteDest.replace(/\/$/, '').endsWith('node_modules'));
    expect(copiedNodeModules.every((c) => c.from === 'build')).toBe(true);
  });

  it('pins the base image by digest, the tag kept in the reference', () => {
    for (const stage of stages) expect(stage.from).toMatch(/^node:24-bookworm-slim@sha256:[0-9a-f]{64}$/);
  });

  it('installs the runtime dependencies from container/image-package-lock.json with npm ci, in step with image-package.json and the root lockfile', () => {
    const install = runsOf(buildStage!).find((r) => r.command.includes('container/image-package.json'))!;
    expect(install.command).toMatch(/\bnpm ci\b[^&|;]*--omit=dev/);
    expect(install.command).not.toMatch(/npm install|--no-package-lock/);
    expect(install.command).toMatch(/cp \S*container\/image-package-lock\.json package-lock\.json/);
    const lock = JSON.parse(readFileSync(IMAGE_LOCKFILE, 'utf8')) as { lockfileVersion: number; packages: Record<string, { version?: string; integrity?: string; dependencies?: Record<string, string> }> };
    const imagePackage = JSON.parse(readFileSync(IMAGE_PACKAGE, 'utf8'));
    const rootLock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8'));
    // npm ci refuses a lockfile whose root dependencies differ from package.json's.
    expect(lock.packages[''].dependencies).toEqual(imagePackage.dependencies);
    expect(lock.packages['node_modules/better-sqlite3'].version).toBe(rootLock.packages['node_modules/better-sqlite3'].version);
    const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
    expect(installed.length).toBeGreaterThan(1);
    for (const [path, entry] of installed) expect(entry.integrity, `${path} has an integrity hash`).toMatch(/^sha512-/);
  });

  it('runs as root, as SageMaker requires (no USER)', () => {
    expect(finalStage.instructions.filter((i) => i.keyword === 'USER')).toEqual([]);
  });

  describe('HEALTHCHECK', () => {
    const healthchecks = finalStage.instructions.filter((i) => i.keyword === 'HEALTHCHECK');
    const argv = words(healthchecks[0]?.args.replace(/^(--\S+\s+)*CMD\s+/, '') ?? '[]');
    const runCheck = (port: number) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, argv.slice(1), { env: { ...process.env, SAGEMAKER_BIND_TO_PORT: String(port) }, stdio: 'ignore' });
        child.on('close', resolve);
      });

    it('is one exec-form node command with an interval, a timeout and retries', () => {
      expect(healthchecks).toHaveLength(1);
      expect(healthchecks[0].args).toMatch(/--interval=\d+s\b.*--timeout=\d+s\b.*--retries=\d+/);
      expect(healthchecks[0].args).toMatch(/CMD \[/);
      expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    });

    it('passes against the running server and fails when /ping is not 200 or nothing listens', async () => {
      const served = await serve();
      expect(await runCheck(served.port)).toBe(0);
      await served.stop();
      const failing = createServer((_, res) => res.writeHead(503).end()).listen(0, '127.0.0.1');
      await once(failing, 'listening');
      const port = (failing.address() as AddressInfo).port;
      expect(await runCheck(port)).toBe(1);
      failing.close();
      await once(failing, 'close');
      expect(await runCheck(port)).toBe(1);
    }, 60_000);
  });

  it('sets no secrets in ENV or ARG', () => {
    const secretName = /KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL/i;
    const secretValue = /AKIA[0-9A-Z]{16}|-----BEGIN|[A-Za-z0-9+/]{40,}/;
    for (const ins of instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      for (const [k, v] of ins.keyword === 'ENV' ? pairs(ins) : [ins.args.split('=') as [string, string?]].map(([a, b]) => [a, b ?? ''] as [string, string])) {
        expect(k, `line ${ins.line}`).not.toMatch(secretName);
        // An image digest is long and random-looking but public.
        expect(v.replace(/@sha256:[0-9a-f]{64}/g, ''), `line ${ins.line}`).not.toMatch(secretValue);
      }
    }
  });

  it('points ROOKERY_DATA and ROOKERY_SCHEMA at files the final stage copies in', () => {
    const env = Object.fromEntries(finalStage.instructions.filter((i) => i.keyword === 'ENV').flatMap(pairs));
    expect(env.ROOKERY_IMAGE).toBe('1');
    const copied = copiesOf(finalStage)
      .filter((c) => !c.from)
      .flatMap((c) => c.sources.map((s) => posix.join(c.absoluteDest, posix.basename(s))));
    expect(copied).toContain(env.ROOKERY_DATA);
    expect(copied).toContain(env.ROOKERY_SCHEMA);
  });
});

describe('the image bundle', () => {
  // Packages and folders the image must not carry: infrastructure code, cloud SDKs, test tooling.
  const FORBIDDEN = /^(aws-cdk-lib|aws-cdk|cdktf|@cdktf\/.*|constructs|cdk-nag|@aws-sdk\/.*|@smithy\/.*|@azure\/.*|vitest|@vitest\/.*|fast-check|typescript|esbuild)$/;
  let bundleText: string;
  let inputs: string[];

  beforeAll(async () => {
    bundleText = readFileSync((await fixture()).bundle, 'utf8');
    // The same entry and externals as scripts/build-image.ts, with a metafile to list what goes in.
    const result = await build({
      entryPoints: [join(REPO_ROOT, 'scripts', 'image.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external: ['better-sqlite3'],
      write: false,
      metafile: true,
      outfile: join(REPO_ROOT, 'dist', 'image', 'metafile-probe.mjs'),
      logLevel: 'silent',
    });
    inputs = Object.keys(result.metafile.inputs);
  });

  it('bundles no cloud SDK, infrastructure or test code', () => {
    const packages = [...new Set(inputs.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter((p): p is string => Boolean(p)))].sort();
    expect(packages.filter((p) => FORBIDDEN.test(p))).toEqual([]);
    const ownFolders = [...new Set(inputs.filter((p) => !p.includes('node_modules')).map((p) => p.split('/')[0]))].sort();
    // registry/ resolves `--model models:/…` for serve and cloud/ parses `train --out s3://…`; by the layout rules
    // (test/architecture) both import only model/ and no npm package.
    expect(ownFolders.filter((f) => !['cloud', 'container', 'model', 'registry', 'scripts'].includes(f))).toEqual([]);
    expect(inputs.filter((p) => /^scripts\/(azure|targets|store|bench|data)\//.test(p) || p.startsWith('stacks/') || p.startsWith('azure/') || p.startsWith('test/'))).toEqual([]);
  });

  it('contains none of their marks either (searching the built file)', () => {
    for (const mark of ['aws-cdk-lib', 'cdktf', '@aws-sdk', 'aws-sdk-js', '@smithy/', '@azure/', 'vitest', 'fast-check']) {
      expect(bundleText.includes(mark), `the bundle contains "${mark}"`).toBe(false);
    }
    // better-sqlite3 stays external: required at run time from the image's node_modules.
    expect(bundleText).toContain('better-sqlite3');
    expect(bundleText).not.toMatch(/SQLITE_VERSION_NUMBER|sqlite3_open_v2/);
  });
});
