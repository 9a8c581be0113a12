/**
 * moto_server (scripts/aws/moto-server.ts) for a test file: started before
 * its tests, stopped after.
 */
import { afterAll, beforeAll } from 'vitest';
import { Moto, motoAvailable } from '../../scripts/aws/moto-server.ts';

export { Moto, MOTO_INSTALL, MOTO_REGION, motoAvailable } from '../../scripts/aws/moto-server.ts';

/**
 * moto_server for the calling test file: started before its tests with the
 * SDK pointed at it (AWS_ENDPOINT_URL, dummy credentials), stopped after.
 * `available` is false when moto is missing: the file then skips with MOTO_INSTALL.
 * `server` is the emulator itself (reset() between tests, env() for a child process).
 */
export function useMoto(): { available: boolean; readonly server: Moto } {
  const available = motoAvailable();
  let moto: Moto | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    if (!available) return;
    moto = await Moto.start();
    restoreEnv = moto.useInProcess();
  }, 60_000);
  afterAll(async () => {
    restoreEnv?.();
    await moto?.stop();
  });
  return {
    available,
    /** The running emulator, inside this file's tests and hooks. */
    get server(): Moto {
      if (!moto) throw new Error('moto_server is not running here: use it inside tests or hooks, after useMoto() started it');
      return moto;
    },
  };
}
