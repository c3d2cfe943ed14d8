import { connect, type ClientOptions, type ResetClient } from '../client/reset-client.js';
import { natsSecurityOptions } from '../adapters/environment/nats-security.js';
import type { CliSettings } from './cli-settings.js';

/** What a command adds to the client: resetd's public keys, and where a message that fails them is told. */
export type ClientChecks = Pick<ClientOptions, 'verifyKeys' | 'onUnverified'>;

/** The typed client on the deployment the settings name, as the CLI's commands use it. */
export function openClient(settings: CliSettings, checks: ClientChecks = {}): Promise<ResetClient> {
  return connect({
    ...checks,
    servers: settings.natsServers,
    subjectPrefix: settings.subjectPrefix,
    streams: settings.streams,
    source: 'urn:resetd:cli',
    name: 'resetd-cli',
    timeoutMs: 3_000,
    security: natsSecurityOptions(settings.natsSecurity),
  });
}

/** Runs `work` with a client and closes it, whatever happens. */
export async function withClient<T>(settings: CliSettings, work: (client: ResetClient) => Promise<T>, checks: ClientChecks = {}): Promise<T> {
  const client = await openClient(settings, checks);
  try {
    return await work(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}
