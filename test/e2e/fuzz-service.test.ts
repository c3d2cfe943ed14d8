import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useRunningService } from '../support/running-service.js';

const MESSAGES = 1_000;
const GARBAGE = 100;

/** Values that break a field, or happen to be fine for it. */
const mutation = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.jsonValue());

describe('generated messages sent to the running service', () => {
  const world = useRunningService('fuzz', { env: () => ({ RATE_IP_PER_HOUR: '100000' }) });

  it(`gives each of ${MESSAGES} events and ${GARBAGE} garbage bodies exactly one outcome, and stays up`, async () => {
    const { client, service } = world;
    const mutations = fc.sample(fc.tuple(fc.boolean(), fc.nat(), mutation), { numRuns: MESSAGES, seed: 20261125 });
    // A submission whose resetId was mutated into another valid id is answered for that id, which
    // carries no event id: such messages are counted in the total only.
    const keys: Array<string | undefined> = [];
    for (let i = 0; i < MESSAGES; i++) {
      const [mutate, pick, value] = mutations[i]!;
      const requested = i % 2 === 0;
      const type = requested ? 'reset.requested' : 'reset.code.submitted';
      const data: Record<string, unknown> = requested
        ? { userId: `u-fuzz-${i}`, email: `fuzz${i}@example.com`, clientIp: '198.51.100.9', locale: 'es' }
        : { resetId: `r-fuzz-${i}`, code: '123456' };
      const field = Object.keys(data)[pick % Object.keys(data).length]!;
      if (mutate) data[field] = value;
      const id = `e-fuzz-${i}`;
      keys.push(requested ? id : mutate && field === 'resetId' ? undefined : `r-fuzz-${i}`);
      await client.publish(type, data, { id });
    }
    const garbage = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 200 }), { numRuns: GARBAGE, seed: 7 });
    for (const [i, bytes] of garbage.entries()) await client.publishRaw(client.subjects.requested, bytes, { msgId: `garbage-${i}` });

    const outcomesOf = (key: string | undefined, index: number) =>
      client.events.filter((e) => e.data.eventId === `e-fuzz-${index}` || (key !== undefined && e.data.resetId === key));
    const anonymous = () => client.events.filter((e) => e.type === 'reset.rejected' && e.data.eventId === '' && e.data.resetId === '');
    await client.waitForEvents((events) => events.length >= MESSAGES + GARBAGE, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    expect(client.events).toHaveLength(MESSAGES + GARBAGE);
    for (const [i, key] of keys.entries()) if (key !== undefined) expect(outcomesOf(key, i), `message ${i}`).toHaveLength(1);
    expect(anonymous()).toHaveLength(GARBAGE);
    expect(service.child.exitCode).toBeNull();
    expect(await client.verify({ resetId: 'r-none', code: '123456' })).toEqual({ status: 'unknown_reset', attemptsRemaining: 0 });
  }, 150_000);
});
