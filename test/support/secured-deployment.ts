import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { expect } from 'vitest';
import { connect } from '../../src/client/reset-client.js';
import { uniquePrefix } from './nats.js';
import { ServiceProcess } from './service-process.js';
import type { SmtpSink } from './smtp-sink.js';

export interface ServedReset {
  /** Every line the service wrote, stdout and stderr, from start to SIGTERM. */
  readonly output: readonly string[];
  readonly prefix: string;
}

/**
 * Starts the service with `env` (its NATS, Redis and their security), has a typed client on
 * `natsUrl` with `clientSecurity` request one reset, checks that its code was mailed and
 * `reset.code.sent` published, and stops the service with SIGTERM (exit 0).
 */
export async function serveOneReset(options: {
  readonly env: Record<string, string>;
  readonly natsUrl: string;
  readonly clientSecurity?: Pick<NodeConnectionOptions, 'authenticator' | 'tls'>;
  readonly sink: SmtpSink;
  readonly label: string;
}): Promise<ServedReset> {
  const prefix = uniquePrefix(options.label);
  const service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: options.sink.url, ...options.env });
  const client = await connect({ servers: options.natsUrl, subjectPrefix: prefix, security: options.clientSecurity });
  try {
    const email = `${prefix}@example.com`;
    const resetId = await client.requestReset({ userId: `u-${prefix}`, email });
    const outcomes = client.outcomes({ deliver: 'all' });
    const timer = setTimeout(() => outcomes.stop(), 20_000);
    let outcome: string | undefined;
    for await (const event of outcomes) {
      if (event.data.resetId !== resetId) continue;
      outcome = event.type;
      break;
    }
    clearTimeout(timer);
    expect(outcome).toBe('reset.code.sent');
    await options.sink.waitForMail(email);
  } finally {
    await client.close();
  }
  expect(await service.stop()).toBe(0);
  return { output: service.output, prefix };
}

/** The one line a failed start writes to stderr; fails the test unless there is exactly one. */
export function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}
