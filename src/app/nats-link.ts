import type { Status } from '@nats-io/transport-node';

/** The statuses that change whether a connection is up. */
export type NatsLinkStatus = Extract<Status, { type: 'disconnect' | 'staleConnection' | 'reconnect' }>;

/** Told each change of `connected`, with the status that made it. */
export type NatsLinkListener = (connected: boolean, status: NatsLinkStatus) => void;

/**
 * Whether one NATS connection is up, read from its `status()` in one place so that readiness, the
 * stop and the log agree: down at a disconnect or a stale connection (the server stopped answering
 * pings: a drain would fail on it), up again at a reconnect. Starts up: it is made once connected.
 */
export class NatsLink {
  private up = true;
  private readonly listeners: NatsLinkListener[] = [];

  constructor(statuses: AsyncIterable<Status>) {
    void this.follow(statuses);
  }

  get connected(): boolean {
    return this.up;
  }

  /** Calls `listener` at each change from now on, synchronously; it must not throw. */
  onChange(listener: NatsLinkListener): void {
    this.listeners.push(listener);
  }

  /** Ends with the connection, when the client ends its status iterator. */
  private async follow(statuses: AsyncIterable<Status>): Promise<void> {
    for await (const status of statuses) {
      if (status.type !== 'disconnect' && status.type !== 'staleConnection' && status.type !== 'reconnect') continue;
      const up = status.type === 'reconnect';
      // A stale connection is followed by its disconnect: one change, not two.
      if (up === this.up) continue;
      this.up = up;
      for (const listener of this.listeners) listener(up, status);
    }
  }
}
