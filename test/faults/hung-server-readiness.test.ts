import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultWorld } from '../support/fault-world.js';
import { opsGet } from '../support/ops-http.js';
import { freePort } from '../support/processes.js';

/** Polls `/readyz` until it answers `status`; resolves with the last body. */
async function readyzBecomes(port: number, status: number, timeoutMs: number): Promise<string> {
  const started = Date.now();
  for (;;) {
    const answer = await opsGet(port, '/readyz').catch(() => undefined);
    if (answer?.status === status) return answer.body;
    if (Date.now() - started > timeoutMs) throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms; last: ${JSON.stringify(answer)}`);
    await sleep(50);
  }
}

/**
 * A server that hangs without closing its connections (SIGSTOP here; `docker pause` or a partition
 * without RST in production) leaves the clients "connected": only a round trip shows it. The
 * contract asks `/readyz` to reflect a lost server within 2 s (the probe takes 1.5 s); 3 s leaves room for the polling and a busy machine.
 */
describe('/readyz with a hung server', () => {
  let world: FaultWorld;
  let port: number;

  beforeAll(async () => {
    world = await FaultWorld.start({ label: 'hungready' });
    port = await freePort();
    await world.startService({ OPS_HTTP_PORT: String(port), OPS_HTTP_HOST: '127.0.0.1' });
    await readyzBecomes(port, 200, 10_000);
  });

  afterAll(async () => {
    world?.redis.resume();
    world?.nats.resume();
    await world?.close();
  });

  for (const name of ['redis', 'nats'] as const) {
    it(`${name} frozen: /readyz answers 503 naming ${name} within 3 s, and 200 again once it thaws`, async () => {
      const server = world[name];
      server.pause();
      try {
        const body = JSON.parse(await readyzBecomes(port, 503, 3_000)) as { failing: string[]; reasons?: Record<string, string> };
        expect(body.failing).toEqual([name]);
        expect(body.reasons?.[name]).toMatch(/stopped answering/);
      } finally {
        server.resume();
      }
      await readyzBecomes(port, 200, 5_000);
    });
  }
});
