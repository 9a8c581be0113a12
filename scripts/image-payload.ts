// Prints the size of the serving image's payload: the bundle (dist/image/rookery.mjs)
// plus the runtime dependencies container/image-package.json installs next to it.
//
//   npm run image:payload              measure from this checkout's node_modules (offline, a second)
//   npm run image:payload -- --install also run `npm ci --omit=dev` of image-package.json into a
//                                      temporary folder and measure that (needs the npm registry;
//                                      better-sqlite3 may compile from source, about a minute)
//
// From node_modules it reports two figures, because what Node loads at run time
// is smaller than what `npm ci --omit=dev` leaves on disk:
//   - loaded at run time: each package's files minus the C/C++ sources and build
//     intermediates, with the native addon as the only build output;
//   - installed: each package as npm unpacks it (sources included), plus the
//     dependencies only the install script uses (prebuild-install's tree), with
//     the addon as prebuild-install leaves it. This checkout's build/ folder
//     comes from a source build (object files, a static library), which the
//     image also keeps if the prebuilt download fails; that size is shown too.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImageBundle } from './build-image.ts';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const IMAGE_PACKAGE = join(REPO_ROOT, 'container', 'image-package.json');
/** The image's lockfile: `npm ci` installs exactly these versions, transitive dependencies included. */
export const IMAGE_LOCKFILE = join(REPO_ROOT, 'container', 'image-package-lock.json');

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

export interface RuntimePackage {
  name: string;
  version: string;
  dir: string;
  /** True when only the package's install script uses it (e.g. prebuild-install): not loaded at run time. */
  installOnly: boolean;
}

const readPackage = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent folder's node_modules. */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The installed packages a package.json's `dependencies` pull in, recursively,
 * as resolved from `fromDir`. A dependency named in its parent's `install`
 * script (and everything only it pulls in) is marked install-only.
 */
export function runtimeDependencies(dependencies: string[], fromDir: string): RuntimePackage[] {
  const found = new Map<string, RuntimePackage>();
  const visit = (name: string, from: string, installOnly: boolean) => {
    const dir = resolvePackageDir(name, from);
    if (!dir) throw new Error(`${name} is not installed below ${from}; run npm ci first`);
    const seen = found.get(dir);
    if (seen) {
      if (seen.installOnly && !installOnly) {
        seen.installOnly = false;
        walk(seen, false);
      }
      return;
    }
    const pkg = readPackage(dir);
    const entry: RuntimePackage = { name: pkg.name, version: pkg.version, dir, installOnly };
    found.set(dir, entry);
    walk(entry, installOnly);
  };
  const walk = (entry: RuntimePackage, installOnly: boolean) => {
    const pkg = readPackage(entry.dir);
    const install = pkg.scripts?.install ?? '';
    const optional = Object.keys(pkg.optionalDependencies ?? {});
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, entry.dir, installOnly || new RegExp(`(^|[\\s|&;])${dep}([\\s|&;]|$)`).test(install));
    for (const dep of optional) if (resolvePackageDir(dep, entry.dir)) visit(dep, entry.dir, installOnly);
  };
  for (const name of dependencies) visit(name, fromDir, false);
  return [...found.values()];
}

/** The image's runtime dependencies (container/image-package.json), resolved in this checkout's node_modules. */
export function imageDependencies(): RuntimePackage[] {
  const pkg = JSON.parse(readFileSync(IMAGE_PACKAGE, 'utf8')) as PackageJson;
  return runtimeDependencies(Object.keys(pkg.dependencies ?? {}), REPO_ROOT);
}

/** Each file below `dir` (path relative to it, apparent size), skipping nested node_modules (packages of their own). */
export function filesOf(dir: string): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (name === 'node_modules') continue;
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else out.push({ path: relative(dir, path).split(sep).join('/'), bytes: st.size });
    }
  };
  walk(dir);
  return out;
}

const sum = (files: { path: string; bytes: number }[], keep: (path: string) => boolean = () => true) => files.reduce((t, f) => (keep(f.path) ? t + f.bytes : t), 0);

// Native-addon packages: C/C++ sources compiled into the addon, and node-gyp's output folder.
const isSource = (path: string) => /^(deps|src)\//.test(path) || path === 'binding.gyp';
const isBuild = (path: string) => path.startsWith('build/');
const isAddon = (path: string) => /^build\/Release\/[^/]+\.node$/.test(path) && !path.includes('test_');

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

function npmInstallSize(): { bytes: number; packages: number; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), 'rookery-image-deps-'));
  try {
    writeFileSync(join(dir, 'package.json'), readFileSync(IMAGE_PACKAGE));
    writeFileSync(join(dir, 'package-lock.json'), readFileSync(IMAGE_LOCKFILE));
    const started = performance.now();
    // The Dockerfile's install: the lockfile's versions, nothing floats.
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const seconds = (performance.now() - started) / 1000;
    const modules = join(dir, 'node_modules');
    const packages = readdirSync(modules).filter((n) => !n.startsWith('.')).length;
    return { bytes: treeBytes(modules), packages, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every file below `root`, nested node_modules included. */
function treeBytes(root: string): number {
  let total = 0;
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const st = lstatSync(path);
    total += st.isDirectory() ? treeBytes(path) : st.size;
  }
  return total;
}

async function main(): Promise<void> {
  const bundle = await buildImageBundle();
  const bundleBytes = statSync(bundle).size;
  const packages = imageDependencies();
  const rows: string[][] = [];
  let loaded = 0;
  let installedPrebuilt = 0;
  let sourceBuild = 0;
  for (const p of packages) {
    const files = filesOf(p.dir);
    const all = sum(files);
    const build = sum(files, isBuild);
    const addon = sum(files, isAddon);
    const atRuntime = p.installOnly ? 0 : all - build - sum(files, isSource) + addon;
    const asInstalled = all - build + addon;
    loaded += atRuntime;
    installedPrebuilt += asInstalled;
    sourceBuild += build - addon;
    rows.push([`${p.name}@${p.version}${relative(join(REPO_ROOT, 'node_modules'), p.dir).includes('node_modules') ? ' (nested)' : ''}`, p.installOnly ? 'install only' : 'run time', atRuntime ? kib(atRuntime) : '-', kib(asInstalled)]);
  }
  const w = [34, 13, 14, 14];
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' ');
  console.log(`image payload (bundle + container/image-package.json dependencies), measured from ${relative(process.cwd(), join(REPO_ROOT, 'node_modules')) || 'node_modules'}`);
  console.log('');
  console.log(line(['package', 'needed at', 'loaded', 'installed']));
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log(`bundle ${relative(REPO_ROOT, bundle)}: ${kib(bundleBytes)}`);
  console.log(`runtime dependencies loaded by Node (${packages.filter((p) => !p.installOnly).length} packages): ${mib(loaded)}`);
  console.log(`runtime dependencies as npm ci --omit=dev leaves them with a prebuilt addon (${packages.length} packages, C sources and prebuild-install included): ${mib(installedPrebuilt)}`);
  console.log(`  + build intermediates if the addon compiles from source instead (as in this checkout): ${mib(sourceBuild)}`);
  console.log(`payload, what runs: ${mib(bundleBytes + loaded)}`);
  console.log(`payload, as installed (prebuilt addon): ${mib(bundleBytes + installedPrebuilt)}`);
  if (process.argv.includes('--install')) {
    console.log('');
    console.log('npm ci --omit=dev of container/image-package.json (and its lockfile) into a temporary folder…');
    const r = npmInstallSize();
    console.log(`installed node_modules: ${r.packages} top-level packages, ${mib(r.bytes)} (${r.seconds.toFixed(0)} s); payload: ${mib(bundleBytes + r.bytes)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
