/**
 * azurite (scripts/azure/azurite.ts) for a test file: started before its
 * tests, stopped after, as useMoto() does for moto_server.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { Azurite, azuriteAvailable, azuriteToken } from '../../scripts/azure/azurite.ts';

export { Azurite, AZURITE_ACCOUNT, AZURITE_INSTALL, AZURITE_KEY, azuriteAvailable, azuriteToken } from '../../scripts/azure/azurite.ts';

/**
 * azurite for the calling test file: started before its tests, stopped after.
 * `https` starts it with OAuth over TLS (tokens; a child process needs
 * `server.env()` to trust its certificate); the default is http + shared key.
 * `available` is false when azurite (or, for https, openssl) is missing: the
 * file then skips with AZURITE_INSTALL, as the moto suites skip with MOTO_INSTALL:
 *
 *   const azurite = useAzurite();
 *   describe('...', () => {
 *     if (!azurite.available) { it.skip(AZURITE_INSTALL, () => {}); return; }
 *     ...
 *   });
 */
export function useAzurite(options: { https?: boolean } = {}): { available: boolean; readonly server: Azurite } {
  const available = azuriteAvailable(options);
  let azurite: Azurite | undefined;
  beforeAll(async () => {
    if (available) azurite = await Azurite.start(options);
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });
  return {
    available,
    /** The running emulator, inside this file's tests and hooks. */
    get server(): Azurite {
      if (!azurite) throw new Error('azurite is not running here: use it inside tests or hooks, after useAzurite() started it');
      return azurite;
    },
  };
}

/**
 * A managed-identity token endpoint on loopback, speaking the App Service
 * protocol @azure/identity's ManagedIdentityCredential (and so
 * DefaultAzureCredential) uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are
 * set: `GET ?api-version=2019-08-01&resource=R` with header X-IDENTITY-HEADER,
 * answered `{access_token, expires_on, resource, token_type}`. It hands out
 * azuriteToken()s, so a child process given `env()` (plus the https
 * emulator's `server.env()` for its certificate) signs in to azurite exactly
 * as a deployment's managed identity signs in to Azure Storage.
 */
export interface TokenEndpoint {
  /** IDENTITY_ENDPOINT and IDENTITY_HEADER for a child process. */
  env(): Record<string, string>;
  /** The `resource` of every token request answered so far (proof the managed-identity path was taken). */
  readonly resources: readonly string[];
  close(): Promise<void>;
}

export async function startTokenEndpoint(): Promise<TokenEndpoint> {
  const secret = randomUUID();
  const resources: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const resource = url.searchParams.get('resource');
    if (req.headers['x-identity-header'] !== secret || !resource) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: 'X-IDENTITY-HEADER or resource missing' }));
      return;
    }
    resources.push(resource);
    const { token, expiresOnTimestamp } = azuriteToken();
    const body = { access_token: token, expires_on: String(Math.floor(expiresOnTimestamp / 1000)), resource, token_type: 'Bearer' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: () => ({ IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret }),
    resources,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** startTokenEndpoint() for the calling test file: started before its tests, closed after. */
export function useTokenEndpoint(): { readonly endpoint: TokenEndpoint } {
  let endpoint: TokenEndpoint | undefined;
  beforeAll(async () => {
    endpoint = await startTokenEndpoint();
  });
  afterAll(async () => {
    await endpoint?.close();
  });
  return {
    get endpoint(): TokenEndpoint {
      if (!endpoint) throw new Error('the token endpoint is not running here: use it inside tests or hooks');
      return endpoint;
    },
  };
}
