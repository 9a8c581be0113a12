// The network reliability suite's hostile clients: scripts/bench/hostile.ts's, with the bodies built from the test rows.
import { fullBody as full, splitBody as split } from '../../scripts/bench/hostile.ts';
import { COLUMNS, ROWS } from '../helpers/server.ts';

export { jsonOf, openSockets, padTo, pingWhile, postHead, rawClient, rawExchange, rssMiB, type Latencies, type RawClient } from '../../scripts/bench/hostile.ts';

const VALUES = ROWS.map((r) => COLUMNS.map((c) => r.row[c]));

/** A dataframe_split body of `n` rows cycling through ROWS. */
export const splitBody = (n: number): Buffer => split(COLUMNS, VALUES, n);

/** The dataframe_split body with as many rows as `bytes` holds. */
export const fullBody = (bytes: number): Buffer => full(COLUMNS, VALUES, bytes);
