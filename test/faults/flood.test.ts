import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultWorld, outcomeOf, outcomeProblems } from '../support/fault-world.js';
import { rssBytes } from '../support/processes.js';
import { setTimeout as sleep } from 'node:timers/promises';

const MB = 1024 * 1024;
const FLOOD = 20_000;
const NORMAL = 200;
const FLOOD_IP = '198.51.100.66';
/** Publishes in flight at once: enough to fill the stream fast, bounded so the client's memory is too. */
const WINDOW = 512;

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}

describe('a flood of reset requests', () => {
  let world: FaultWorld | undefined;
  let redis: Redis | undefined;

  afterEach(async () => {
    redis?.disconnect();
    await world?.close();
    world = undefined;
  });

  it('20,000 from one IP while 200 come from others: the 200 are mailed, the flood is refused cheaply, memory stays bounded', async () => {
    world = await FaultWorld.start({ label: 'flood' });
    // The contract's limits, as production runs them: 20 an hour per IP, 50,000 an hour for all.
    // FLOOD_IN_FLIGHT=<n> measures another RESET_MAX_IN_FLIGHT (64 by default: 16 and 256 were both slower).
    const service = await world.startService({ RATE_IP_PER_HOUR: '20', RATE_GLOBAL_PER_HOUR: '50000', ...(process.env.FLOOD_IN_FLIGHT ? { RESET_MAX_IN_FLIGHT: process.env.FLOOD_IN_FLIGHT } : {}) });
    redis = new Redis(world.redis.url);
    const rssAtStart = rssBytes(service.pid);
    const memoryBefore = await usedMemory(redis);

    // Normal request i is published after flood message i × 100: it queues behind that much of the flood.
    const normalIds = Array.from({ length: NORMAL }, () => randomUUID());
    const floodIds = Array.from({ length: FLOOD }, () => randomUUID());
    const publishedAt = new Map<string, number>();
    const order: Array<{ id: string; data: Record<string, unknown> }> = [];
    for (let i = 0; i < FLOOD; i += 1) {
      order.push({ id: floodIds[i]!, data: { userId: `u-flood-${i}`, email: `target-${i}@example.net`, clientIp: FLOOD_IP } });
      if (i % (FLOOD / NORMAL) === FLOOD / NORMAL - 1) {
        const n = (i + 1) / (FLOOD / NORMAL) - 1;
        order.push({ id: normalIds[n]!, data: { userId: `u-normal-${n}`, email: world.email(n), clientIp: `203.0.${113 + (n >> 8)}.${n & 255}` } });
      }
    }

    // When each mail's outcome is published, from a plain subscription (it sees what the stream stores).
    const sentAt = new Map<string, number>();
    const sent = world.client.nc.subscribe(world.client.subjects.event('reset.code.sent'), {
      callback: (error, msg) => {
        if (!error) sentAt.set((msg.json() as { data: { resetId: string } }).data.resetId, Date.now());
      },
    });

    let peakRss = rssAtStart;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, rssBytes(service.pid));
        await sleep(200);
      }
    })();

    const started = Date.now();
    const pending = new Set<Promise<unknown>>();
    for (const { id, data } of order) {
      while (pending.size >= WINDOW) await Promise.race(pending);
      publishedAt.set(id, Date.now());
      const ack = world.client.requestReset(data, { id }).finally(() => pending.delete(ack));
      pending.add(ack);
    }
    await Promise.all(pending);
    const publishedInMs = Date.now() - started;

    const events = await world.waitForOutcomes([...normalIds, ...floodIds], 110_000);
    const doneInMs = Date.now() - started;
    sampling = false;
    await sampler;
    const memoryAfter = await usedMemory(redis);

    expect(outcomeProblems(events, [...normalIds, ...floodIds])).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(normalIds.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const flood = floodIds.map((id) => outcomes.get(id)!);
    const admitted = flood.filter((event) => event.type === 'reset.code.sent');
    const refused = flood.filter((event) => event.type === 'reset.rejected');
    expect(admitted).toHaveLength(20);
    expect(refused).toHaveLength(FLOOD - 20);
    expect(refused.filter((event) => event.data.reason !== 'rate_limited' || !String(event.data.detail).includes('ip-hour'))).toEqual([]);
    for (let n = 0; n < NORMAL; n += 1) expect(world.mailCounts().get(world.email(n)), world.email(n)).toBe(1);
    expect(world.sink.deliveries).toHaveLength(NORMAL + 20);

    // How long each normal request waited for its mail: it queues behind the flood before it in the stream.
    sent.unsubscribe();
    const waits = normalIds.map((id) => (sentAt.get(id) ?? Number.NaN) - publishedAt.get(id)!).sort((a, b) => a - b);
    const growthMb = (memoryAfter - memoryBefore) / MB;
    const rssGrowthMb = (peakRss - rssAtStart) / MB;
    const keys = await redis.dbsize();
    console.info(
      `flood: ${FLOOD} from one IP + ${NORMAL} normal published in ${(publishedInMs / 1000).toFixed(1)} s, all answered in ${(doneInMs / 1000).toFixed(1)} s ` +
        `(${Math.round((FLOOD + NORMAL) / (doneInMs / 1000))}/s); normal request to code: p50 ${waits[NORMAL / 2]} ms, p95 ${waits[Math.floor(NORMAL * 0.95)]} ms, max ${waits.at(-1)} ms; ` +
        `Redis +${growthMb.toFixed(2)} MB (${keys} keys); service RSS ${(rssAtStart / MB).toFixed(0)} MB at start, peak +${rssGrowthMb.toFixed(1)} MB`,
    );
    expect(growthMb).toBeLessThan(5);
    expect(rssGrowthMb).toBeLessThan(100);
    // Every key resetd keeps expires, but the deployment's one event-id secret.
    const noTtl: string[] = [];
    for await (const batch of redis.scanStream({ count: 1000 })) {
      for (const key of batch as string[]) if ((await redis.pttl(key)) < 0) noTtl.push(key);
    }
    expect(noTtl).toEqual([expect.stringMatching(/:\{event-id\}:key$/)]);
  });

  it('5,000 against one user from as many IPs: one code is mailed, the rest refused, one small field each', async () => {
    world = await FaultWorld.start({ label: 'userflood' });
    await world.startService({ RATE_IP_PER_HOUR: '20' });
    redis = new Redis(world.redis.url);
    const memoryBefore = await usedMemory(redis);
    const ids = Array.from({ length: 5_000 }, () => randomUUID());
    const pending = new Set<Promise<unknown>>();
    for (const [i, id] of ids.entries()) {
      while (pending.size >= WINDOW) await Promise.race(pending);
      const data = { userId: 'u-victim', email: 'victim@example.com', clientIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
      const ack = world.client.requestReset(data, { id }).finally(() => pending.delete(ack));
      pending.add(ack);
    }
    await Promise.all(pending);
    const events = await world.waitForOutcomes(ids, 60_000);
    const growthMb = ((await usedMemory(redis)) - memoryBefore) / MB;

    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = [...outcomeOf(events).values()];
    expect(outcomes.filter((event) => event.type === 'reset.code.sent')).toHaveLength(1);
    expect(outcomes.filter((event) => event.type === 'reset.rejected' && event.data.reason === 'cooldown')).toHaveLength(ids.length - 1);
    expect(world.mailCounts().get('victim@example.com')).toBe(1);
    console.info(`user flood: 5000 requests for one user, 1 mailed, 4999 refused (cooldown); Redis +${growthMb.toFixed(2)} MB`);
    expect(growthMb).toBeLessThan(2);
  });
});
