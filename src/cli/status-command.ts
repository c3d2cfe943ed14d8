import { jetstreamManager, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import { maskUrl } from '../contract/mask-url.js';
import { redisConnectFailureLine, redisSecurityOptions, type RedisSecurity } from '../app/redis-security.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { withClient } from './open-client.js';

/**
 * Shows the deployment as an operator checks it: the NATS server, both streams, the inbox
 * consumer, and whether Redis answers. Exit 0 only when all of them are there.
 */
export async function statusCommand(settings: CliSettings, output: CliOutput): Promise<number> {
  const natsHealthy = await withClient(settings, async (client) => {
    const jsm = await jetstreamManager(client.nc);
    output.out(`nats      ${settings.natsServers.map(maskUrl).join(',')}  server ${client.nc.info?.version ?? '?'}`);
    const { inboxStream, eventsStream } = client.subjects;
    const width = Math.max(inboxStream.length, eventsStream.length);
    const inbox = await streamLine(jsm, inboxStream, width, output);
    const events = await streamLine(jsm, eventsStream, width, output);
    const consumer = inbox ? await consumerLine(jsm, inboxStream, settings.consumer, output) : false;
    return inbox && events && consumer;
  });
  const redisVersion = await pingRedis(settings.redisUrl, settings.redisSecurity);
  output.out(`redis     ${maskUrl(settings.redisUrl)}  reachable, version ${redisVersion}`);
  return natsHealthy ? EXIT.ok : EXIT.failed;
}

async function streamLine(jsm: JetStreamManager, name: string, width: number, output: CliOutput): Promise<boolean> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(name);
  } catch (error) {
    if (!(error instanceof Error && error.name === 'StreamNotFoundError')) throw error;
    output.out(`stream    ${name.padEnd(width)}  missing: resetd creates it when it starts (resetd start)`);
    return false;
  }
  const { messages, bytes, consumer_count: consumers } = info.state;
  output.out(`stream    ${name.padEnd(width)}  messages ${messages}  bytes ${formatBytes(bytes)}  consumers ${consumers}  subjects ${info.config.subjects?.join(' ') ?? ''}`);
  return true;
}

async function consumerLine(jsm: JetStreamManager, stream: string, name: string, output: CliOutput): Promise<boolean> {
  try {
    const c = await jsm.consumers.info(stream, name);
    output.out(
      `consumer  ${stream}/${name}  pending ${c.num_pending}  ack pending ${c.num_ack_pending}  redelivered ${c.num_redelivered}  ` +
        `ack floor ${c.ack_floor.stream_seq}  waiting pulls ${c.num_waiting}`,
    );
    return true;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConsumerNotFoundError')) throw error;
    output.out(`consumer  ${stream}/${name}  missing: resetd creates it when it starts`);
    return false;
  }
}

/** The server's version; throws a CliError naming the URL when Redis does not answer. */
async function pingRedis(url: string, security: RedisSecurity): Promise<string> {
  const redis = new Redis(url, {
    ...redisSecurityOptions(security),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3_000,
    // A server that takes the connection and never answers (a black-holing proxy, CLIENT PAUSE).
    commandTimeout: 3_000,
  });
  // The socket's own error (ECONNREFUSED…) says more than the "Connection is closed" that follows it.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => (socketError ??= error));
  try {
    await redis.connect();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  } catch (error) {
    const line = redisConnectFailureLine(socketError ?? error, maskUrl(url), 'check REDIS_URL (or --redis) and that redis-server is running');
    throw new CliError(line, EXIT.unreachable, { cause: error });
  } finally {
    redis.disconnect();
  }
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
