import { connect, type ResetClient } from '../client/reset-client.js';
import { natsSecurityOptions } from '../app/nats-security.js';
import type { CliSettings } from './cli-settings.js';

/** The typed client on the deployment the settings name, as the CLI's commands use it. */
export function openClient(settings: CliSettings): Promise<ResetClient> {
  return connect({
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
export async function withClient<T>(settings: CliSettings, work: (client: ResetClient) => Promise<T>): Promise<T> {
  const client = await openClient(settings);
  try {
    return await work(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}
