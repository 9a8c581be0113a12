// The layout the redesign reaches, as data: which top-level folders and npm
// packages each folder's source may import. Tests under test/ may import
// anything. Node built-ins are allowed everywhere except where `builtins`
// forbids them.
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { extractImports, type ImportRef } from './imports.ts';
import { FOLDERS, type Folder, type SourceFile } from './source-files.ts';

export interface FolderRule {
  folders: Folder[];
  /** npm packages, exactly or as `@scope/*`. */
  packages: string[];
  /** Built-in modules this folder must not use, and why. */
  forbiddenBuiltins?: { modules: string[]; why: string };
  /** Packages that must be imported through a particular subpath, and why. */
  subpaths?: Array<{ pkg: string; pattern: RegExp; why: string }>;
  /** The issue's own words for the pairs it names, quoted in failures. */
  never?: Partial<Record<Folder, string>>;
}

const NETWORK_BUILTINS = ['http', 'https', 'http2', 'net', 'tls', 'dgram', 'dns'];
const ISSUE_SCRIPTS_RULE = 'the issue: "No import from stacks/ or azure/ into scripts/, no import from scripts/ into azure/"';

export const LAYOUT: Record<Folder, FolderRule> = {
  model: {
    folders: ['model'],
    packages: ['yaml', '@stdlib/*'],
    forbiddenBuiltins: { modules: NETWORK_BUILTINS, why: 'model/ is pure TypeScript on files: no cloud SDK, no HTTP' },
  },
  registry: { folders: ['model', 'registry'], packages: [] },
  cloud: { folders: ['model', 'cloud'], packages: [] },
  // @azure/storage-blob, @azure/identity: the blob capture sink (container/blob-client.ts), loaded only when chosen.
  container: { folders: ['model', 'cloud', 'container'], packages: ['better-sqlite3', 'tsx', '@azure/storage-blob', '@azure/identity'] },
  stacks: {
    folders: ['model', 'registry', 'cloud', 'stacks'],
    packages: ['aws-cdk-lib', 'constructs', 'cdk-nag', '@cdklabs/*'],
    never: { scripts: 'stacks/ must not import scripts/ (the CDK apps do not depend on the CLI)' },
  },
  azure: {
    folders: ['model', 'registry', 'cloud', 'azure'],
    // `constructs` is cdktf's own peer dependency: every construct's scope is a `Construct`.
    packages: ['cdktf', '@cdktf/*', 'constructs'],
    subpaths: [{
      pkg: '@cdktf/provider-azurerm',
      pattern: /^@cdktf\/provider-azurerm\/lib\/[^/]+/,
      why: 'CONTRIBUTING.md: `@cdktf/provider-azurerm/lib/<resource>` deep imports only (the package root loads every resource)',
    }],
    never: { scripts: ISSUE_SCRIPTS_RULE },
  },
  scripts: {
    folders: ['model', 'registry', 'cloud', 'container', 'scripts'],
    // vega-datasets: scripts/data/ regenerates data/*.csv from its JSON (npm run data:penguins, data:cars).
    // playwright-core: scripts/check-report.ts drives Debian's Chromium (npm run report:check); a devDependency, not in the image.
    // hyparquet, hyparquet-writer: rookery score reads and writes Parquet (scripts/score/parquet.ts).
    // azurite: scripts/azure/azurite.ts starts Microsoft's storage emulator for tests and benchmarks; a devDependency, not in the image.
    packages: ['@aws-sdk/*', '@azure/*', 'better-sqlite3', 'yaml', 'esbuild', 'tsx', 'vega-datasets', 'playwright-core', 'hyparquet', 'hyparquet-writer', 'azurite'],
    never: { stacks: ISSUE_SCRIPTS_RULE, azure: ISSUE_SCRIPTS_RULE },
  },
};

export type Target =
  | { type: 'builtin'; module: string }
  | { type: 'package'; pkg: string }
  | { type: 'file'; path: string; folder: string | undefined }
  | { type: 'outside'; path: string };

/** Where an import leads: a built-in, an npm package, or a repository path (and its top-level folder). */
export function classify(fromFile: string, specifier: string): Target {
  if (specifier.startsWith('node:')) return { type: 'builtin', module: specifier.slice(5) };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const path = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
    if (path.startsWith('../') || path.startsWith('/')) return { type: 'outside', path };
    const slash = path.indexOf('/');
    return { type: 'file', path, folder: slash < 0 ? undefined : path.slice(0, slash) };
  }
  const parts = specifier.split('/');
  const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (builtinModules.includes(pkg)) return { type: 'builtin', module: specifier };
  return { type: 'package', pkg };
}

function packageAllowed(pkg: string, allowed: string[]): boolean {
  return allowed.some((a) => (a.endsWith('/*') ? pkg.startsWith(a.slice(0, -1)) : pkg === a));
}

export interface ImportViolation {
  file: string;
  ref: ImportRef;
  rule: string;
}

function folderOf(path: string): Folder | undefined {
  return FOLDERS.find((f) => path.startsWith(`${f}/`));
}

/** The rule `ref` breaks in `file`, or undefined when the layout allows it. */
export function brokenRule(file: string, ref: ImportRef, layout: Record<Folder, FolderRule> = LAYOUT): string | undefined {
  const folder = folderOf(file);
  if (!folder) return undefined;
  const rule = layout[folder];
  const target = classify(file, ref.specifier);
  const allowedFolders = `${folder}/ may import only ${rule.folders.map((f) => `${f}/`).join(', ')}`;
  switch (target.type) {
    case 'outside':
      return `${target.path} is outside the repository`;
    case 'file': {
      if (target.folder && (rule.folders as string[]).includes(target.folder)) return undefined;
      const named = target.folder ? rule.never?.[target.folder as Folder] : undefined;
      const where = target.folder ? `${target.folder}/` : 'a file at the repository root';
      return `${where} is not allowed: ${allowedFolders}${named ? ` (${named})` : ''}`;
    }
    case 'builtin': {
      const bare = target.module.split('/')[0];
      const forbidden = rule.forbiddenBuiltins;
      return forbidden?.modules.includes(bare) ? `node:${bare} is not allowed: ${forbidden.why}` : undefined;
    }
    case 'package': {
      if (!packageAllowed(target.pkg, rule.packages)) {
        return `npm package ${target.pkg} is not allowed: ${folder}/ may use only ${rule.packages.length ? rule.packages.join(', ') : 'no npm packages'} (and node: built-ins)`;
      }
      const subpath = rule.subpaths?.find((s) => s.pkg === target.pkg);
      return subpath && !subpath.pattern.test(ref.specifier) ? `${ref.specifier}: ${subpath.why}` : undefined;
    }
  }
}

export function importViolations(files: SourceFile[], layout: Record<Folder, FolderRule> = LAYOUT): ImportViolation[] {
  const out: ImportViolation[] = [];
  for (const file of files) {
    for (const ref of extractImports(file.text)) {
      const rule = brokenRule(file.path, ref, layout);
      if (rule) out.push({ file: file.path, ref, rule });
    }
  }
  return out;
}

export function formatImportViolation(v: ImportViolation): string {
  const how = v.ref.kind === 'import' ? (v.ref.typeOnly ? 'import type' : 'import') : v.ref.typeOnly ? `${v.ref.kind} (type-only)` : v.ref.kind;
  return `${v.file}:${v.ref.line} ${how} '${v.ref.specifier}': ${v.rule}`;
}
