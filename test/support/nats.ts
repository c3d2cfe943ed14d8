import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { subjectsFor, type Subjects } from '../../src/contract/subjects.js';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export interface ReceivedEvent {
  id: string;
  type: string;
  subject: string;
  data: Record<string, unknown> & { resetId: string };
  headers: Record<string, string>;
}

/** A client of resetd for tests: publishes commands and watches `<PREFIX>_EVENTS`, as the auth service would. */
export class TestClient {
  readonly events: ReceivedEvent[] = [];
  private waiters: Array<() => void> = [];
  private stopWatching: (() => void) | undefined;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly subjects: Subjects,
  ) {}

  static async connect(prefix: string, servers: string | string[] = NATS_URL): Promise<TestClient> {
    const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return new TestClient(nc, jetstream(nc), await jetstreamManager(nc), subjectsFor(prefix));
  }

  /** Publishes a CloudEvent to JetStream with `Nats-Msg-Id` = its id, as the contract asks; returns the id. */
  async publish(type: string, data: unknown, options: { id?: string; msgId?: string; headers?: Record<string, string> } = {}): Promise<string> {
    const id = options.id ?? randomUUID();
    const body = { specversion: '1.0', id, source: 'urn:test', type, time: new Date().toISOString(), datacontenttype: 'application/json', data };
    return this.publishRaw(this.subjects.event(type), JSON.stringify(body), { msgId: options.msgId ?? id, headers: options.headers }).then(() => id);
  }

  async publishRaw(subject: string, body: string | Uint8Array, options: { msgId?: string; headers?: Record<string, string> } = {}): Promise<void> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
    await this.js.publish(subject, body, { ...(options.msgId ? { msgID: options.msgId } : {}), headers: h });
  }

  requestReset(data: Record<string, unknown>, options: { id?: string; msgId?: string } = {}): Promise<string> {
    return this.publish('reset.requested', data, options);
  }

  submitCode(resetId: string, code: string, options: { id?: string } = {}): Promise<string> {
    return this.publish('reset.code.submitted', { resetId, code }, options);
  }

  verify(data: unknown): Promise<{ status: string; attemptsRemaining?: number; detail?: string }> {
    return this.verifyBody(JSON.stringify(data), (data as { resetId?: unknown } | null)?.resetId);
  }

  /**
   * Sends `body` as it is (JSON or not) to `reset.verify`; the reply must name the reset asked
   * about (the contract), and its status is returned.
   */
  async verifyBody(body: string, asked?: unknown): Promise<{ status: string; attemptsRemaining?: number; detail?: string }> {
    const reply = await this.nc.request(this.subjects.verify, body, { timeout: 10_000 });
    const { resetId, ...answer } = reply.json<{ resetId: string; status: string; attemptsRemaining?: number; detail?: string }>();
    if (typeof asked === 'string' && resetId !== asked) throw new Error(`the reply names reset ${JSON.stringify(resetId)}, not ${asked}`);
    return answer;
  }

  /** Starts reading every event of the events stream (once it exists). */
  async watchEvents(): Promise<void> {
    await waitFor(async () => {
      try {
        await this.jsm.streams.info(this.subjects.eventsStream);
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    const consumer = await this.js.consumers.get(this.subjects.eventsStream);
    const messages = await consumer.consume();
    this.stopWatching = () => void messages.stop();
    void (async () => {
      for await (const msg of messages) {
        const body = msg.json<{ id: string; type: string; data: ReceivedEvent['data'] }>();
        const headers: Record<string, string> = {};
        for (const key of msg.headers?.keys() ?? []) headers[key] = msg.headers!.get(key);
        this.events.push({ id: body.id, type: body.type, subject: msg.subject, data: body.data, headers });
        for (const wake of this.waiters.splice(0)) wake();
      }
    })();
  }

  eventsFor(resetId: string): ReceivedEvent[] {
    return this.events.filter((event) => event.data.resetId === resetId);
  }

  /** Waits until `predicate` holds over the events seen so far. */
  async waitForEvents(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for events; saw ${this.events.length}: ${JSON.stringify(this.events.slice(-5).map((e) => [e.type, e.data]))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 250));
      });
    }
    return this.events;
  }

  /**
   * Waits until every command published so far has been handled: the inbox, a work queue, holds
   * none (it deletes each once acknowledged, after its mail and its outcome; one not yet delivered
   * counts too, unlike in the consumer's ack-pending), and this client has read every event the
   * events stream holds. A repeat put back as `busy` waits out the lease (45 s): hence the default.
   */
  async waitUntilHandled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.jsm.streams.info(this.subjects.inboxStream)).state.messages > 0) {
      if (Date.now() > deadline) throw new Error(`the inbox still holds messages after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const stored = (await this.jsm.streams.info(this.subjects.eventsStream)).state.messages;
    await this.waitForEvents((events) => events.length >= stored);
  }

  async waitForEvent(resetId: string, type: string, timeoutMs?: number): Promise<ReceivedEvent> {
    await this.waitForEvents((events) => events.some((e) => e.data.resetId === resetId && e.type === type), timeoutMs);
    return this.events.find((e) => e.data.resetId === resetId && e.type === type)!;
  }

  /** Deletes this prefix's streams and closes the connection. */
  async close(): Promise<void> {
    this.stopWatching?.();
    for (const stream of [this.subjects.inboxStream, this.subjects.eventsStream]) {
      await this.jsm.streams.delete(stream).catch(() => undefined);
    }
    await this.nc.close();
  }
}

export function uniquePrefix(label: string): string {
  return `t${label.replace(/[^a-z0-9]/gi, '').slice(0, 12)}${randomUUID().slice(0, 8)}`;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Publishes as a client that writes the protocol itself: header lines nats.js would never write
 * (a space in a name, thousands of lines). Resolves once the server has read it (PONG).
 */
export async function rawPublish(subject: string, reply: string | undefined, headerLines: readonly string[], body: string): Promise<void> {
  const server = new URL(NATS_URL.split(',')[0]!.replace(/^nats:/, 'http:'));
  const socket = connectTcp(Number(server.port || 4222), server.hostname);
  const headerBlock = `NATS/1.0\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`;
  const headerBytes = Buffer.byteLength(headerBlock);
  try {
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes('-ERR')) reject(new Error(`nats-server refused the raw publish: ${seen}`));
        else if (seen.includes('PONG')) resolve();
      });
      socket.write(
        'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n' +
          `HPUB ${subject}${reply ? ` ${reply}` : ''} ${headerBytes} ${headerBytes + Buffer.byteLength(body)}\r\n${headerBlock}${body}\r\nPING\r\n`,
      );
    });
  } finally {
    socket.destroy();
  }
}

