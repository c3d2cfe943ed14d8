import { jetstreamManager, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { createRedisClient, describeTopology } from '../adapters/redis/redis-connection.js';
import { maskUrl } from '../contract/mask-url.js';
import { redisConnectFailureLine, redisSecurityOptions, redisUnreachableHint } from '../adapters/environment/redis-security.js';
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
  const where = describeTopology(settings.redisTopology, maskUrl(settings.redisUrl));
  const redisVersion = await pingRedis(settings, where);
  output.out(`redis     ${where}  reachable, version ${redisVersion}`);
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

/**
 * The server's version, through the same kind of client as the service's (one server, a Cluster,
 * the master the Sentinels name); throws a CliError naming `where` when Redis does not answer.
 */
async function pingRedis(settings: CliSettings, where: string): Promise<string> {
  const redis = createRedisClient(settings.redisTopology, settings.redisUrl, {
    ...redisSecurityOptions(settings.redisSecurity),
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
    // A Cluster's client keeps asking its nodes for ever: the answer is given a deadline of its own.
    const version = redis.connect().then(() => redis.info('server'));
    const info = await Promise.race([version, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PING_MS} ms`)), PING_MS).unref())]);
    return /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  } catch (error) {
    const line = redisConnectFailureLine(socketError ?? error, where, redisUnreachableHint(settings.redisTopology.kind, settings.redisUrl, '--redis'));
    throw new CliError(line, EXIT.unreachable, { cause: error });
  } finally {
    redis.disconnect();
  }
}

const PING_MS = 3_000;

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
