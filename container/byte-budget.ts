import type { Socket } from 'node:net';

/** Which limit a hold would pass. */
export type Refusal = 'total' | 'connection';

/**
 * The bytes the server holds for its clients (bodies being read or scored,
 * answers the kernel has not taken yet), in total and per connection, against
 * two limits. A request's bytes are taken through its Hold as they arrive and
 * all given back when its response closes.
 */
export class ByteBudget {
  private total = 0;
  private readonly perSocket = new WeakMap<Socket, number>();

  constructor(readonly maxTotal: number, readonly maxPerConnection: number) {}

  get held(): number {
    return this.total;
  }

  /** Counts the bytes, unless (with `admit`) that would pass a limit: then counts nothing and says which. */
  take(socket: Socket, bytes: number, admit: boolean): Refusal | undefined {
    const mine = this.perSocket.get(socket) ?? 0;
    if (admit && this.total + bytes > this.maxTotal) return 'total';
    if (admit && mine + bytes > this.maxPerConnection) return 'connection';
    this.total += bytes;
    this.perSocket.set(socket, mine + bytes);
    return undefined;
  }

  give(socket: Socket, bytes: number): void {
    this.total -= bytes;
    this.perSocket.set(socket, (this.perSocket.get(socket) ?? bytes) - bytes);
  }

  /** A hold for one request on the socket. */
  hold(socket: Socket): Hold {
    return new Hold(this, socket);
  }
}

/** One request's bytes; release() gives them all back (once). */
export class Hold {
  private bytes = 0;

  constructor(private readonly budget: ByteBudget, private readonly socket: Socket) {}

  /** Adds body bytes, refused past a limit. */
  admit(bytes: number): Refusal | undefined {
    const refused = this.budget.take(this.socket, bytes, true);
    if (!refused) this.bytes += bytes;
    return refused;
  }

  /** Adds answer bytes: the work is done, so they are counted (and refuse the next bodies) but never refused. */
  add(bytes: number): void {
    this.budget.take(this.socket, bytes, false);
    this.bytes += bytes;
  }

  release(): void {
    this.budget.give(this.socket, this.bytes);
    this.bytes = 0;
  }
}
