import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, posix, relative, sep } from 'node:path';
import type { MlflowClient } from './client.ts';
import { MlflowError } from './errors.ts';

const PROXY_ROUTE = '/api/2.0/mlflow-artifacts/artifacts/';

/**
 * The path under the server's artifact destination that an artifact URI names,
 * for the URI forms a tracking server started with `--serve-artifacts` hands
 * out (mlflow/server/handlers.py, _get_proxied_run_artifact_destination_path):
 *
 * - `mlflow-artifacts:/1/<run>/artifacts` and `mlflow-artifacts://host:port/1/...`:
 *   the URI's path. The host, when present, is where the server thinks it
 *   lives (e.g. 127.0.0.1 on the instance); rookery always goes through
 *   MLFLOW_TRACKING_URI, which is how the tunnel reaches it.
 * - `http(s)://host/api/2.0/mlflow-artifacts/artifacts/1/...`: what follows the route.
 */
export function proxiedArtifactPath(uri: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') {
    const rest = uri.slice('mlflow-artifacts:'.length);
    const path = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
    return posix.normalize(`/${decodeURIComponent(path)}`).replace(/^\/+|\/+$/g, '');
  }
  if (scheme === 'http' || scheme === 'https') {
    const { pathname } = new URL(uri);
    const at = pathname.indexOf(PROXY_ROUTE);
    if (at >= 0) return decodeURIComponent(pathname.slice(at + PROXY_ROUTE.length)).replace(/^\/+|\/+$/g, '');
  }
  throw new MlflowError(
    'server',
    `artifact location ${uri} is not served by the tracking server: rookery reads and writes artifacts through \`mlflow server --serve-artifacts\` (artifact root mlflow-artifacts:/), as MlflowStack runs it`,
  );
}

const MIME: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.yaml': 'application/x-yaml',
  '.yml': 'application/x-yaml',
  '.csv': 'text/csv',
  '.html': 'text/html',
};

/** As MLflow's client labels uploads (mlflow/utils/mime_type_utils.py); MLmodel has no extension and is YAML. */
export function guessContentType(file: string): string {
  if (file.endsWith('MLmodel')) return 'text/plain';
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(full);
    }
  };
  walk(root);
  return out;
}

/** Uploads every file under `localDir` to `<artifactPath>/<relative path>`; returns the relative paths sent. */
export async function uploadDirectory(client: MlflowClient, localDir: string, artifactPath: string): Promise<string[]> {
  const sent: string[] = [];
  for (const file of listFiles(localDir)) {
    const rel = relative(localDir, file).split(sep).join('/');
    await client.uploadArtifact(`${artifactPath}/${rel}`, readFileSync(file), guessContentType(file));
    sent.push(rel);
  }
  return sent;
}

/** Every file below `artifactPath`, as paths relative to it, with the sizes the server reported. */
export async function listTree(client: MlflowClient, artifactPath: string): Promise<{ path: string; size?: number }[]> {
  const files: { path: string; size?: number }[] = [];
  const walk = async (rel: string) => {
    const here = rel ? `${artifactPath}/${rel}` : artifactPath;
    for (const entry of await client.listArtifacts(here)) {
      const child = rel ? `${rel}/${entry.path}` : entry.path;
      if (entry.is_dir) await walk(child);
      else files.push({ path: child, ...(entry.file_size !== undefined ? { size: entry.file_size } : {}) });
    }
  };
  await walk('');
  return files;
}

/**
 * Downloads the tree under `artifactPath` into `dest`: written to a staging
 * folder beside it and renamed into place, so `dest` either holds the whole
 * model or does not exist.
 */
export async function downloadDirectory(client: MlflowClient, artifactPath: string, dest: string): Promise<string[]> {
  const files = await listTree(client, artifactPath);
  if (files.length === 0) {
    throw new MlflowError('server', `MLflow at ${client.trackingUri} has no files under ${artifactPath}: was the model's artifact uploaded?`);
  }
  mkdirSync(dirname(dest), { recursive: true });
  const staging = `${dest}.partial-${randomUUID()}`;
  try {
    for (const f of files) {
      if (f.path.split('/').includes('..')) throw new MlflowError('server', `MLflow listed an artifact path that leaves the model folder: ${f.path}`);
      const data = await client.downloadArtifact(`${artifactPath}/${f.path}`);
      if (f.size !== undefined && data.length !== f.size) {
        throw new MlflowError('server', `downloaded ${artifactPath}/${f.path} from MLflow at ${client.trackingUri} is ${data.length} bytes, but the server listed ${f.size}`);
      }
      const target = join(staging, ...f.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    rmSync(dest, { recursive: true, force: true });
    renameSync(staging, dest);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return files.map((f) => f.path);
}

/**
 * The proxied artifact path holding a model version's files. Starts from
 * `model-versions/get-download-uri` (the server's storage location for the
 * version) and follows the indirections a source may carry: `models:/NAME/N`
 * or `models:/NAME@ALIAS` (registered from another version), `runs:/RUN/PATH`
 * (relative to that run's artifact root), then an mlflow-artifacts or HTTP URI.
 */
export async function modelVersionArtifactPath(client: MlflowClient, name: string, version: string): Promise<string> {
  let uri = await client.getModelVersionDownloadUri(name, version);
  for (let hops = 0; hops < 5; hops++) {
    const models = /^models:\/([^/@]+)(?:\/(\d+)|@([\w-]+))\/?(.*)$/.exec(uri);
    if (models) {
      const [, refName, refVersion, refAlias, sub] = models;
      const target = refVersion ?? (await client.getModelVersionByAlias(refName, refAlias!)).version;
      const base = await client.getModelVersionDownloadUri(refName, target);
      uri = sub ? `${base.replace(/\/+$/, '')}/${sub}` : base;
      continue;
    }
    const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri);
    if (runs) {
      const [, runId, sub] = runs;
      const run = await client.getRun(runId);
      uri = sub ? `${run.info.artifact_uri.replace(/\/+$/, '')}/${sub}` : run.info.artifact_uri;
      continue;
    }
    return proxiedArtifactPath(uri);
  }
  throw new MlflowError('server', `${name} version ${version} in MLflow at ${client.trackingUri} points through more than 5 models:/ or runs:/ references`);
}
