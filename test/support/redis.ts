import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ScriptClock } from '../../src/adapters/redis/script-clock.js';
import type { Clock } from '../../src/domain/ports.js';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** One test's view of Redis: its own key prefix, and clients that are closed with it. */
export interface TestRedis {
  readonly url: string;
  readonly prefix: string;
  readonly client: Redis;
  /** Another connection to the same server, as a second instance of the service would have. */
  connect(): Redis;
  /** Every key under this test's prefix. */
  keys(): Promise<string[]>;
  /** Deletes every key under the prefix and closes every client. */
  close(): Promise<void>;
}

let serverUrl: Promise<string> | undefined;

/** Connects to `REDIS_URL` (default the local server) under a prefix no other test uses. */
export async function openTestRedis(): Promise<TestRedis> {
  const url = await (serverUrl ??= findServer());
  const prefix = `test-${randomBytes(6).toString('hex')}`;
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };
  const client = connect();
  const keys = () => scanKeys(client, `${prefix}:*`);
  return {
    url,
    prefix,
    client,
    connect,
    keys,
    async close() {
      const left = await keys();
      if (left.length > 0) await client.unlink(...left);
      await Promise.all(clients.map((each) => each.quit()));
    },
  };
}

async function scanKeys(client: Redis, match: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return [...new Set(found)];
}

/** The configured server; without a configuration, a throwaway container when nothing listens locally. */
async function findServer(): Promise<string> {
  const configured = process.env.REDIS_URL;
  const url = configured ?? DEFAULT_URL;
  if (await answers(url)) return url;
  if (configured === undefined && (await dockerAnswers())) return startContainer();
  throw new Error(
    `Redis at ${url} does not answer${configured === undefined ? ' and Docker is not available' : ''}: ` +
      'start Redis there or set REDIS_URL.',
  );
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Lives as long as the test worker; testcontainers' reaper removes it afterwards. */
async function startContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('redis:7')
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .start();
  return `redis://${container.getHost()}:${container.getMappedPort(6379)}`;
}

/** The Redis adapters' script clock pinned to `now`, which a test sets as it likes (back too). */
export class PinnedTime implements ScriptClock {
  constructor(public now: number) {}

  pinned(): number {
    return this.now;
  }
}

/** The Redis adapters' script clock read from a test's clock, so a contract suite moves both sides' time alike. */
export const scriptClockOf = (clock: Clock): ScriptClock => ({ pinned: () => clock.now() });
