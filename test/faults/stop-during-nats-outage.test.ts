import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/nats.js';
import { NatsServer } from '../support/processes.js';
import { ServiceProcess } from '../support/service-process.js';

/** The contract's SIGTERM exits 0 whatever the servers do: a NATS server that is down included. */
describe('SIGTERM while the NATS server is down', () => {
  let nats: NatsServer;

  beforeAll(async () => {
    nats = await NatsServer.start();
  });

  afterAll(async () => {
    await nats?.close();
  });

  it('closes the connection it cannot drain, says so, and exits 0', async () => {
    const prefix = uniquePrefix('outage-stop');
    const service = await ServiceProcess.start({ NATS_URL: nats.url, RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix });
    await nats.stop('SIGKILL');
    await service.waitForLog(/NATS connection lost; reconnecting/);

    expect(await service.stop()).toBe(0);

    expect(service.output.join('\n')).toMatch(/NATS is not connected: closing the connection instead of draining it/);
    expect(service.output.join('\n')).not.toMatch(/stopping failed/);
  });
});
