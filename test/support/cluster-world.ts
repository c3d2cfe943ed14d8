import { ServiceWorld } from './fault-world.js';
import { TestClient, uniquePrefix } from './nats.js';
import type { RedisServer } from './processes.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from './smtp-sink.js';

/** NATS as a world needs it: the client URLs of its servers, and a way to stop them all. */
export interface NatsBackend {
  readonly url: string;
  close(): Promise<void>;
}

/** Redis as a world needs it: the service's variables that point at it, and a way to stop it. */
export interface RedisBackend {
  serviceEnv(): Record<string, string>;
  close(): Promise<void>;
}

/** One `redis-server` as a backend. */
export const singleRedis = (server: RedisServer): RedisBackend => ({
  serviceEnv: () => ({ REDIS_URL: server.url }),
  close: () => server.close(),
});

/**
 * A world of resetd processes over NATS and Redis as the test chooses them: one server, a NATS
 * cluster, a Redis Cluster or a Sentinel group. `close()` stops every process it started, by PID.
 */
export class ClusterWorld<N extends NatsBackend = NatsBackend, R extends RedisBackend = RedisBackend> extends ServiceWorld {
  private constructor(
    label: string,
    prefix: string,
    readonly nats: N,
    readonly redis: R,
    sink: SmtpSink,
    client: TestClient,
  ) {
    super(label, prefix, sink, client);
  }

  static async start<N extends NatsBackend, R extends RedisBackend>(options: {
    readonly label: string;
    readonly nats: () => Promise<N>;
    readonly redis: () => Promise<R>;
    readonly sink?: SmtpSinkOptions;
  }): Promise<ClusterWorld<N, R>> {
    const [nats, redis] = await Promise.all([options.nats(), options.redis()].map((start) => start.catch((error: unknown) => error as Error)));
    const failed = [nats, redis].find((each) => each instanceof Error);
    if (failed) {
      await Promise.all([nats, redis].map((each) => (each instanceof Error ? undefined : (each as NatsBackend | RedisBackend).close())));
      throw failed;
    }
    const sink = await startSmtpSink(options.sink);
    const client = await TestClient.connect(uniquePrefix(options.label), (nats as N).url.split(','));
    return new ClusterWorld(options.label, client.subjects.prefix, nats as N, redis as R, sink, client);
  }

  protected backendEnv(): Record<string, string> {
    return { NATS_URL: this.nats.url, ...this.redis.serviceEnv() };
  }

  async close(): Promise<void> {
    await this.closeServices();
    await Promise.all([this.nats.close(), this.redis.close()]);
  }
}

