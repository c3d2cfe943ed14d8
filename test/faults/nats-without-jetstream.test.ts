import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ManagedProcess, NATS_SERVER } from '../support/processes.js';
import { oneLine } from '../support/secured-deployment.js';
import { runServiceToExit } from '../support/service-process.js';

describe('a NATS server without JetStream', () => {
  let nats: ManagedProcess;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    nats = await ManagedProcess.start('nats-server', NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port)], /Server is ready/);
  });

  afterAll(async () => {
    await nats?.stop();
  });

  it('stops the start with one line naming NATS_URL and -js, exit 1, no stack', async () => {
    const run = await runServiceToExit({ NATS_URL: url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
    expect(run.code, run.stderr).toBe(1);
    const line = oneLine(run.stderr);
    expect(line).toBe(`resetd: the NATS server at ${url} runs without JetStream: run it with JetStream (-js), or set NATS_URL to one that does`);
    expect(run.stdout + run.stderr).not.toMatch(/^\s+at /m);
  });
});
