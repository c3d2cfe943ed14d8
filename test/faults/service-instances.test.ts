import { afterEach, describe, expect, it } from 'vitest';
import { FaultWorld, outcomeOf, outcomeProblems } from '../support/fault-world.js';

describe('service instances', () => {
  let world: FaultWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('killed with SIGKILL in the middle of 500 requests and started again: one outcome each, duplicate mails only from what was in flight', async () => {
    world = await FaultWorld.start({ label: 'sigkill' });
    // A slow SMTP reply keeps mails on their way when the process dies.
    world.sink.setReplyDelay(20);
    const maxInFlight = 16;
    const env = { RESET_ACK_WAIT_SECONDS: '5', RESET_MAX_IN_FLIGHT: String(maxInFlight) };
    const first = await world.startService(env);

    const ids = await world.requestMany(500);
    await world.sink.waitForMails(150, 60_000);
    await first.stop('SIGKILL');
    const mailsAtKill = world.sink.deliveries.length;
    // What the server still waits an ack for is what the dead process had in flight.
    const inFlightAtKill = (await world.client.jsm.consumers.info(world.client.subjects.inboxStream, 'resetd')).num_ack_pending;
    const second = await world.startService(env);

    const events = await world.waitForOutcomes(ids, 120_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const mails = world.mailCounts();
    const counts = ids.map((_, index) => mails.get(world!.email(index)) ?? 0);
    expect(counts.filter((count) => count === 0)).toEqual([]);
    const duplicates = counts.reduce((sum, count) => sum + count - 1, 0);
    console.info(`SIGKILL: ${mailsAtKill} mails before the kill, ${inFlightAtKill} messages in flight, ${duplicates} duplicate mails`);
    expect(inFlightAtKill).toBeLessThanOrEqual(maxInFlight);
    expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
    expect(second.output.some((line) => /resetd started/.test(line))).toBe(true);
  });

  it('two instances, one killed with SIGKILL in the middle of 300 requests: every request has its outcome within 15 s of the kill, duplicate mails only from what it had in flight', async () => {
    world = await FaultWorld.start({ label: 'takeover' });
    world.sink.setReplyDelay(20);
    const maxInFlight = 16;
    // The default ack wait: the survivor takes the dead instance's messages over after it.
    const env = { RESET_MAX_IN_FLIGHT: String(maxInFlight) };
    const doomed = await world.startService({ ...env, OTEL_SERVICE_NAME: 'doomed' });
    await world.startService({ ...env, OTEL_SERVICE_NAME: 'survivor' });

    const ids = await world.requestMany(300);
    await world.sink.waitForMails(100, 60_000);
    await doomed.stop('SIGKILL');
    const killedAt = Date.now();

    const events = await world.waitForOutcomes(ids, 60_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const lastOutcomeAfterKillMs = Math.max(...[...outcomes.values()].map((event) => event.storedAt)) - killedAt;
    const mails = world.mailCounts();
    const counts = ids.map((_, index) => mails.get(world!.email(index)) ?? 0);
    expect(counts.filter((count) => count === 0)).toEqual([]);
    const duplicates = counts.reduce((sum, count) => sum + count - 1, 0);
    const takenOver = [...outcomes.values()].filter((event) => event.source === 'urn:resetd:survivor').length;
    console.info(`takeover: last outcome ${(lastOutcomeAfterKillMs / 1000).toFixed(1)} s after the kill, ${takenOver} of 300 by the survivor, ${duplicates} duplicate mails`);
    expect(lastOutcomeAfterKillMs).toBeLessThan(15_000);
    expect(duplicates).toBeLessThanOrEqual(maxInFlight);
  });

  it('three processes share the durable consumer: 1,000 requests, each mailed once with one outcome, spread over all three', async () => {
    world = await FaultWorld.start({ label: 'three' });
    const names = ['resetd-a', 'resetd-b', 'resetd-c'];
    for (const name of names) await world.startService({ OTEL_SERVICE_NAME: name });
    const started = Date.now();

    const ids = await world.requestMany(1_000);
    const events = await world.waitForOutcomes(ids, 180_000);
    const tookMs = Date.now() - started;

    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const mails = world.mailCounts();
    expect(ids.map((_, index) => world!.email(index)).filter((email) => mails.get(email) !== 1)).toEqual([]);
    // Each instance signs its events with its own service name.
    const bySource = new Map<string, number>();
    for (const event of outcomes.values()) bySource.set(event.source, (bySource.get(event.source) ?? 0) + 1);
    console.info(`three instances: 1,000 requests in ${(tookMs / 1000).toFixed(1)} s, ${JSON.stringify(Object.fromEntries(bySource))}`);
    expect([...bySource.keys()].sort()).toEqual(names.map((name) => `urn:resetd:${name}`));
    for (const count of bySource.values()) expect(count).toBeGreaterThanOrEqual(100);
  });
});
