// A local managed-identity token endpoint, speaking the App Service protocol
// that @azure/identity's ManagedIdentityCredential (and so
// DefaultAzureCredential) uses when IDENTITY_ENDPOINT and IDENTITY_HEADER are
// set: GET IDENTITY_ENDPOINT?api-version=2019-08-01&resource=...
// with the header X-IDENTITY-HEADER, answered with
// {access_token, expires_on, resource, token_type} (msal-node's AppService
// source). The tokens are ones azurite's `--oauth basic` accepts
// (azuriteToken), so a child process started with env() signs in to azurite
// exactly as a deployment signs in to its storage account.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { azuriteToken } from '../../scripts/azure/azurite.ts';

export interface TokenRequest {
  resource: string | null;
  /** A user-assigned identity's client id (AZURE_CLIENT_ID), if the client asked for one. */
  clientId: string | null;
  /** Whether the request carried the secret header. */
  authorized: boolean;
}

export class ManagedIdentityEndpoint {
  /** Every token request, in order. */
  readonly requests: TokenRequest[] = [];
  private readonly secret = randomUUID();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ManagedIdentityEndpoint> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = new ManagedIdentityEndpoint(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', endpoint.url);
      const request: TokenRequest = {
        resource: url.searchParams.get('resource'),
        clientId: url.searchParams.get('client_id'),
        authorized: req.headers['x-identity-header'] === endpoint.secret,
      };
      endpoint.requests.push(request);
      res.setHeader('Content-Type', 'application/json');
      if (!request.authorized || url.searchParams.get('api-version') !== '2019-08-01' || !request.resource) {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'invalid_request', error_description: 'missing X-IDENTITY-HEADER, api-version 2019-08-01 or resource' }));
        return;
      }
      const token = azuriteToken();
      res.end(JSON.stringify({ access_token: token.token, expires_on: String(Math.floor(token.expiresOnTimestamp / 1000)), resource: request.resource, token_type: 'Bearer' }));
    });
    return endpoint;
  }

  /** What a child process needs to take this endpoint for its managed identity. */
  env(): Record<string, string> {
    return { IDENTITY_ENDPOINT: this.url, IDENTITY_HEADER: this.secret };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A ManagedIdentityEndpoint for the calling test file: started before its tests, stopped after. */
export function useManagedIdentity(): { readonly endpoint: ManagedIdentityEndpoint } {
  let endpoint: ManagedIdentityEndpoint | undefined;
  beforeAll(async () => {
    endpoint = await ManagedIdentityEndpoint.start();
  });
  afterAll(async () => {
    await endpoint?.stop();
  });
  return {
    get endpoint(): ManagedIdentityEndpoint {
      if (!endpoint) throw new Error('the managed-identity endpoint is not running here: use it inside tests or hooks');
      return endpoint;
    },
  };
}
