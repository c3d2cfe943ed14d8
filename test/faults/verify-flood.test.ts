import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { envSchema } from '../../src/adapters/environment/env-schema.js';
import { SIGNATURE_HEADER } from '../../src/contract/message-signature.js';
import { FaultWorld } from '../support/fault-world.js';
import { codeIn } from '../support/mail-code.js';
import { opsGet, sampleValue } from '../support/ops-http.js';
import { freePort, rssBytes } from '../support/processes.js';
import type { ServiceProcess } from '../support/service-process.js';

const MB = 1024 * 1024;
/** `npm start`'s --max-old-space-size. */
const HEAP_CEILING_MB = 96;
const REPLY_WITHIN_MS = 30_000;
const NORMAL_WITHIN_MS = 2_000;
/** The bound the service runs with: its default, or what VERIFY_FLOOD_IN_FLIGHT sets. */
const BOUND = envSchema.shape.VERIFY_MAX_IN_FLIGHT.parse(process.env.VERIFY_FLOOD_IN_FLIGHT);
/** Requests sent in one go before the test yields to read replies. */
const SLICE = 100;
const STATUSES = ['completed', 'invalid_code', 'expired', 'locked', 'unknown_reset', 'superseded', 'invalid_request', 'unavailable'];

interface Flooded {
  readonly world: FaultWorld;
  readonly service: ServiceProcess;
  readonly port: number;
  /** Two resets with their mailed codes, for the normal verifies after each flood. */
  readonly resets: ReadonlyArray<{ resetId: string; code: string }>;
}

/**
 * One verify of a reset no one asked for: the whole path (Redis, then a published outcome). Its
 * status, if the reply is signed and names the reset asked about, as every reply must.
 */
async function verifyUnknown(world: FaultWorld): Promise<{ readonly resetId: string; readonly status: string }> {
  const resetId = randomUUID();
  try {
    const reply = await world.client.nc.request(world.client.subjects.verify, JSON.stringify({ resetId, code: '123456' }), { timeout: REPLY_WITHIN_MS });
    const answer = reply.json<{ resetId: string; status: string }>();
    return { resetId, status: answer.resetId === resetId && reply.headers?.has(SIGNATURE_HEADER) ? answer.status : 'unsigned or for another reset' };
  } catch {
    return { resetId, status: 'no reply' };
  }
}

function tally(statuses: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** Samples the service's RSS every 100 ms until stopped; resolves with the peak. */
function sampleRss(pid: number): { stop: () => Promise<number> } {
  let peak = rssBytes(pid);
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      try {
        peak = Math.max(peak, rssBytes(pid));
      } catch {
        return; // the process is gone: the test says so
      }
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      sampling = false;
      await loop;
      return peak;
    },
  };
}

describe('a flood of reset.verify against one instance run as npm start runs it', () => {
  let flooded: Flooded | undefined;

  afterEach(async () => {
    await flooded?.world.close();
    flooded = undefined;
  });

  async function start(): Promise<Flooded> {
    const world = await FaultWorld.start({ label: 'vflood' });
    const port = await freePort();
    const service = await world.startService({ OPS_HTTP_PORT: String(port), OPS_HTTP_HOST: '127.0.0.1', ...(process.env.VERIFY_FLOOD_IN_FLIGHT ? { VERIFY_MAX_IN_FLIGHT: process.env.VERIFY_FLOOD_IN_FLIGHT } : {}) });
    await world.watchEvents();
    const resets = [];
    for (const index of [0, 1]) {
      const resetId = await world.request(index);
      resets.push({ resetId, code: codeIn((await world.sink.waitForMail(world.email(index))).text ?? '') });
    }
    return (flooded = { world, service, port, resets });
  }

  /** What every flood must leave behind: the process up, every request answered, a normal verify served at once. */
  async function expectServedThrough(f: Flooded, statuses: readonly string[], peakRss: number, rssAtStart: number, reset: { resetId: string; code: string }): Promise<void> {
    expect(f.service.child.exitCode, f.service.output.slice(-5).join('\n')).toBeNull();
    expect(statuses.filter((status) => !STATUSES.includes(status))).toEqual([]);
    expect((peakRss - rssAtStart) / MB).toBeLessThan(HEAP_CEILING_MB);
    const asked = Date.now();
    expect(await f.world.client.verify(reset)).toEqual({ status: 'completed', attemptsRemaining: 0 });
    expect(Date.now() - asked).toBeLessThan(NORMAL_WITHIN_MS);
    // Every unavailable answer was a shed one (nothing failed), and the metric counted each.
    const metrics = (await opsGet(f.port, '/metrics')).body;
    expect(sampleValue(metrics, 'resetd_verify_shed_total')).toBe(statuses.filter((status) => status === 'unavailable').length);
  }

  it('10,000 at once: each is answered within 30 s, the excess unavailable at once, and the instance stays up and serves', async () => {
    const f = await start();
    const rssAtStart = rssBytes(f.service.pid);
    const rss = sampleRss(f.service.pid);

    const started = Date.now();
    // As fast as the test can send, in slices with a turn of the event loop between, so replies are
    // read while the rest go out.
    const sent: Array<Promise<{ readonly resetId: string; readonly status: string }>> = [];
    while (sent.length < 10_000) {
      for (let i = 0; i < SLICE && sent.length < 10_000; i += 1) sent.push(verifyUnknown(f.world));
      await nextTurn();
    }
    const answers = await Promise.all(sent);
    const statuses = answers.map((answer) => answer.status);
    const answeredInMs = Date.now() - started;
    const peakRss = await rss.stop();

    console.info(
      `verify burst: 10000 at once answered in ${(answeredInMs / 1000).toFixed(1)} s: ${JSON.stringify(tally(statuses))}; ` +
        `service RSS ${(rssAtStart / MB).toFixed(0)} MB at start, peak ${(peakRss / MB).toFixed(0)} MB`,
    );
    await expectServedThrough(f, statuses, peakRss, rssAtStart, f.resets[0]!);
    // The bound held: the first BOUND found room and were verified; the burst outran the verifies,
    // so some of the rest were shed. Without the bound, none would be.
    const shed = statuses.filter((status) => status === 'unavailable').length;
    expect(statuses.length - shed).toBeGreaterThanOrEqual(Math.min(BOUND, statuses.length));
    expect(shed).toBeGreaterThan(0);
    // Shed before any work: a held verify of an unknown reset publishes its outcome before it is
    // answered; a shed one is answered with nothing checked, so it leaves no event behind.
    const judged = new Set((await f.world.readEvents()).filter((event) => event.type === 'reset.verification.failed').map((event) => event.data.resetId));
    const idsOf = (status: string) => answers.filter((answer) => answer.status === status).map((answer) => answer.resetId);
    expect(idsOf('unknown_reset').filter((resetId) => !judged.has(resetId))).toEqual([]);
    expect(idsOf('unavailable').filter((resetId) => judged.has(resetId))).toEqual([]);
  });

  it('6,000 a second for 10 s, open loop: each is answered within 30 s, and the instance stays up and serves', async () => {
    const f = await start();
    const rssAtStart = rssBytes(f.service.pid);
    const rss = sampleRss(f.service.pid);
    const rate = 6_000;
    const total = rate * 10;

    // Sends on schedule whatever the answers do; a late tick sends what it owes.
    const replies: Array<Promise<{ readonly resetId: string; readonly status: string }>> = [];
    const started = performance.now();
    while (replies.length < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000));
      while (replies.length < due) replies.push(verifyUnknown(f.world));
      await sleep(5);
    }
    const sentInMs = performance.now() - started;
    const statuses = (await Promise.all(replies)).map((answer) => answer.status);
    const answeredInMs = performance.now() - started;
    const peakRss = await rss.stop();

    console.info(
      `verify open loop: ${total} sent in ${(sentInMs / 1000).toFixed(1)} s, answered in ${(answeredInMs / 1000).toFixed(1)} s: ${JSON.stringify(tally(statuses))}; ` +
        `service RSS ${(rssAtStart / MB).toFixed(0)} MB at start, peak ${(peakRss / MB).toFixed(0)} MB`,
    );
    await expectServedThrough(f, statuses, peakRss, rssAtStart, f.resets[1]!);
  });
});
