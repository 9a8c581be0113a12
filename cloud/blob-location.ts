// The one reading of an Azure Blob Storage location, as Azure writes blob URLs:
// `https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX` (any cloud's endpoint
// suffix), or the path-style `http(s)://HOST:PORT/ACCOUNT/CONTAINER/PREFIX` that
// azurite and other emulators answer on an IP address or localhost. The capture
// sink (DATA_COLLECTION_URI), the blob store behind `rookery label`/`monitor`,
// and the Azure app all parse blob locations here.
import { UserError } from '../model/user-error.ts';

export interface BlobLocation {
  /** The blob service URL of the account: `https://ACCOUNT.blob.core.windows.net`, or `http://127.0.0.1:10000/ACCOUNT` path-style. */
  serviceUrl: string;
  account: string;
  container: string;
  /** The blob name prefix as written, without leading slashes; may be empty. */
  prefix: string;
}

const HOST_STYLE = /^([a-z0-9]{3,24})\.blob\.[a-z0-9.-]+$/;
/** Path-style hosts: an IP address or localhost (how azurite is reached). */
const PATH_STYLE = /^(\d{1,3}(\.\d{1,3}){3}|localhost|\[[0-9a-f:]+\])$/i;
const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export function isBlobUri(uri: string): boolean {
  const m = /^https?:\/\/([^/]+)/i.exec(uri.trim());
  if (!m) return false;
  const host = m[1].replace(/:\d+$/, '').toLowerCase();
  return HOST_STYLE.test(host) || PATH_STYLE.test(host);
}

function fail(uri: string, problem: string): never {
  throw new UserError(problem, {
    where: JSON.stringify(uri),
    fix: 'write https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX (container names are 3-63 lower-case letters, digits and single hyphens)',
    exitCode: 2,
  });
}

export function parseBlobUri(uri: string): BlobLocation {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    fail(uri, 'is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(uri, 'is not an http(s) blob URL');
  if (url.search || url.hash) fail(uri, 'has a query or fragment (a SAS token does not belong in a location; rookery signs in with Azure credentials)');
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let account: string;
  let serviceUrl: string;
  const hostStyle = HOST_STYLE.exec(host);
  if (hostStyle) {
    account = hostStyle[1];
    serviceUrl = `${url.protocol}//${url.host}`;
  } else if (PATH_STYLE.test(host)) {
    account = segments.shift() ?? fail(uri, 'names no storage account');
    serviceUrl = `${url.protocol}//${url.host}/${account}`;
  } else {
    fail(uri, 'is not a blob service URL');
  }
  const container = segments.shift() ?? fail(uri, 'names no container');
  if (!CONTAINER.test(container)) fail(uri, `has an invalid container name ${JSON.stringify(container)}`);
  return { serviceUrl, account, container, prefix: segments.join('/') + (segments.length && url.pathname.endsWith('/') ? '/' : '') };
}

/** The location as a URI again (with `prefix` replacing the original's), for messages and for locations derived from another. */
export function blobUri(location: BlobLocation, prefix = location.prefix): string {
  return `${location.serviceUrl}/${location.container}${prefix ? `/${prefix}` : ''}`;
}
