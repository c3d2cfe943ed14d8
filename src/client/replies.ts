import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';

/** The replies to one request, as they come, until the wait is over or the reader stops. */
export interface Replies extends AsyncIterable<Msg> {
  /** Waits for further replies no longer than `ms` from now (never longer than already allowed). */
  waitAtMost(ms: number): void;
}

/**
 * Publishes `body` to `subject` with a fresh inbox as its reply subject, and yields every message
 * that inbox receives until `maxWaitMs` has passed or the caller stops reading. Unlike nats.js's
 * `requestMany`, a "503 no responders" status does not end it: anyone who reads the request can
 * send one, so it is handed on like any other message, for the caller to weigh.
 */
export function repliesTo(nc: NatsConnection, subject: string, body: string, options: { maxWaitMs: number; headers: MsgHdrs }): Replies {
  const inbox = nc.subscribe(createInbox(inboxPrefixOf(nc)));
  // nats.js hands a publish refused by the server's permissions to the subscription that names the
  // subject as its `requestSubject`, as it does for its own requests: the loop then throws at once.
  Object.assign(inbox, { requestSubject: subject });
  let deadline = Date.now() + options.maxWaitMs;
  let timer = setTimeout(() => inbox.unsubscribe(), options.maxWaitMs);
  const end = () => {
    clearTimeout(timer);
    inbox.unsubscribe();
  };
  try {
    nc.publish(subject, body, { reply: inbox.getSubject(), headers: options.headers });
  } catch (error) {
    end();
    throw error;
  }
  return {
    waitAtMost(ms) {
      if (Date.now() + ms >= deadline) return;
      deadline = Date.now() + ms;
      clearTimeout(timer);
      timer = setTimeout(() => inbox.unsubscribe(), ms);
    },
    async *[Symbol.asyncIterator]() {
      try {
        yield* inbox;
      } finally {
        end();
      }
    },
  };
}

/** A "503 no responders" status: the server's word that no one took the request, or a forger's. */
export function isNoResponders(msg: Msg): boolean {
  return msg.headers?.code === 503 && msg.data.byteLength === 0;
}

/**
 * The inbox prefix the connection was opened with (`ConnectOptions.security.inboxPrefix`): a
 * server's permissions may allow replies there only. nats.js keeps it in `options`, which its
 * `NatsConnection` type does not show.
 */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  const options: unknown = (nc as { options?: unknown }).options;
  const prefix = typeof options === 'object' && options !== null ? (options as { inboxPrefix?: unknown }).inboxPrefix : undefined;
  return typeof prefix === 'string' ? prefix : undefined;
}
