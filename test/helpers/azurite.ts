/**
 * azurite (scripts/azure/azurite.ts) for a test file: started before its
 * tests, stopped after, as useMoto() does for moto_server.
 */
import { afterAll, beforeAll } from 'vitest';
import { Azurite, azuriteAvailable } from '../../scripts/azure/azurite.ts';

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
