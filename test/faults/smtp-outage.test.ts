import { afterEach, describe, expect, it, vi } from 'vitest';
import { FaultWorld, outcomeOf, outcomeProblems } from '../support/fault-world.js';
import { opsGet } from '../support/ops-http.js';
import { freePort, rssBytes } from '../support/processes.js';
import { setTimeout as sleep } from 'node:timers/promises';

const MB = 1024 * 1024;

describe('the SMTP server failing', () => {
  let world: FaultWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('down for 15 s while 200 requests arrive: every mail arrives once when it is back, memory stays flat', async () => {
    world = await FaultWorld.start({ label: 'smtpdown' });
    const service = await world.startService();
    // Warm up first, so the baseline is a service that has already mailed.
    const warmUp = await world.requestMany(20);
    await world.waitForOutcomes(warmUp, 30_000);
    const baseline = rssBytes(service.pid);

    await world.sink.stop();
    const outageStarted = Date.now();
    const ids = await world.requestMany(200, { from: 20 });
    let peak = baseline;
    while (Date.now() - outageStarted < 15_000) {
      peak = Math.max(peak, rssBytes(service.pid));
      await sleep(200);
    }
    await world.sink.start();
    const recoveryStarted = Date.now();

    const events = await world.waitForOutcomes(ids, 120_000);
    const recoveredInMs = Date.now() - recoveryStarted;
    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    expect(events.filter((e) => e.type === 'reset.delivery.failed')).toEqual([]);
    const mails = world.mailCounts();
    for (let index = 20; index < 220; index += 1) expect(mails.get(world.email(index)), world.email(index)).toBe(1);

    const opened = world.logLines(/SMTP circuit opened/);
    const closed = world.logLines(/SMTP circuit closed/);
    expect(opened.length).toBeGreaterThan(0);
    expect(closed.length).toBeGreaterThan(0);
    expect(Date.parse(JSON.parse(closed.at(-1)!).time)).toBeGreaterThan(Date.parse(JSON.parse(opened[0]!).time));
    expect(world.services[0]!.output.filter((line) => /"breaker"/.test(line)).map((line) => JSON.parse(line).breaker).at(-1)).toBe('closed');

    const deltaMb = (peak - baseline) / MB;
    console.info(
      `SMTP outage: RSS ${(baseline / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB during (+${deltaMb.toFixed(1)} MB); ` +
        `${opened.length} openings; all 200 mailed ${(recoveredInMs / 1000).toFixed(1)} s after the sink returned`,
    );
    expect(deltaMb).toBeLessThan(50);
  });

  it("down for 30 s: mail held back goes out within 3 s of its return, not after each message's own grown backoff", async () => {
    world = await FaultWorld.start({ label: 'smtpback' });
    // With the default probe interval (1 s), the server's return is noticed within a second.
    await world.startService();
    const warmUp = await world.requestMany(5);
    await world.waitForOutcomes(warmUp, 30_000);

    await world.sink.stop();
    const ids = await world.requestMany(40, { from: 5 });
    // Long enough that a redelivery backing off by delivery count would wait 15–30 s by now.
    await sleep(30_000);
    world.sink.clear();
    await world.sink.start();
    const returned = Date.now();

    await world.sink.waitForMails(40, 20_000);
    const allMailedMs = Date.now() - returned;
    console.info(`SMTP back after 30 s down: 40 held-back mails out ${(allMailedMs / 1000).toFixed(1)} s after its return`);
    expect(allMailedMs).toBeLessThan(3_000);
    const events = await world.waitForOutcomes(ids, 30_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    for (const index of ids.keys()) expect(world.mailCounts().get(world.email(index + 5)), world.email(index + 5)).toBe(1);
  });

  it('answering 550 for one address: that reset fails as smtp_permanent after one attempt, the others are served', async () => {
    world = await FaultWorld.start({ label: 'smtp550', sink: { rejectRecipients: (address) => address === 'smtp550-3@example.com' } });
    await world.startService();

    const ids = await world.requestMany(10);
    const events = await world.waitForOutcomes(ids, 30_000);

    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(outcomes.get(ids[3]!)).toMatchObject({ type: 'reset.delivery.failed', data: { reason: 'smtp_permanent', attempts: 1 } });
    for (const [index, id] of ids.entries()) {
      if (index === 3) continue;
      expect(outcomes.get(id)?.type).toBe('reset.code.sent');
      expect(world.mailCounts().get(world.email(index))).toBe(1);
    }
    expect(world.mailCounts().get(world.email(3))).toBeUndefined();
    // A refusal is the server answering: it does not count towards opening the breaker.
    expect(world.logLines(/SMTP circuit opened/)).toEqual([]);
  });

  it('failing while a newer request of the same user supersedes a pending one: the older ends as delivery.failed, not code.sent, and only the newer is mailed', async () => {
    world = await FaultWorld.start({ label: 'smtpsuperseded' });
    world.sink.setFailure(451);
    await world.startService({ RESET_COOLDOWN_SECONDS: '2' });
    const older = await world.client.requestReset({ userId: 'u-smtpsuperseded', email: 'older@example.com' });
    // Its first mail fails (and is redelivered later); past the cooldown the user asks again.
    await vi.waitFor(() => expect(world!.sink.transactions).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    await sleep(2_500);
    const newer = await world.client.requestReset({ userId: 'u-smtpsuperseded', email: 'newer@example.com' });
    await sleep(1_000);
    world.sink.setFailure(undefined);

    const events = await world.waitForOutcomes([older, newer], 60_000);

    expect(outcomeProblems(events, [older, newer])).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(outcomes.get(older)).toMatchObject({ type: 'reset.delivery.failed', data: { reason: 'smtp_retries_exhausted' } });
    expect(outcomes.get(newer)).toMatchObject({ type: 'reset.code.sent' });
    expect(world.sink.mailsTo('older@example.com')).toHaveLength(0);
    expect(world.sink.mailsTo('newer@example.com')).toHaveLength(1);
  });

  it('down for longer than the delivery budget: every request ends as smtp_retries_exhausted; ready again when it is back, with nothing to send', async () => {
    world = await FaultWorld.start({ label: 'smtpbudget' });
    await world.sink.stop();
    const opsPort = await freePort();
    const service = await world.startService({ SMTP_RETRY_BUDGET_SECONDS: '10', OPS_HTTP_PORT: String(opsPort), OPS_HTTP_HOST: '127.0.0.1' });
    const started = Date.now();

    const ids = await world.requestMany(60);
    const events = await world.waitForOutcomes(ids, 90_000);
    const tookMs = Date.now() - started;

    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    for (const id of ids) expect(outcomes.get(id), id).toMatchObject({ type: 'reset.delivery.failed', data: { reason: 'smtp_retries_exhausted' } });
    expect(world.sink.deliveries).toHaveLength(0);
    console.info(`SMTP down past a 10 s budget: 60 requests all given up in ${(tookMs / 1000).toFixed(1)} s`);

    // Nothing is left to send, so no mail will probe the open breaker: the server check does.
    expect(JSON.parse((await opsGet(opsPort, '/readyz')).body)).toMatchObject({ failing: ['smtp'] });
    await world.sink.start();
    // The check goes through the breaker as its probe within 5 s (+ the connection) of an opening.
    await service.waitForLog(/SMTP circuit closed/, 10_000);
    const closed = Date.now();
    let ready = await opsGet(opsPort, '/readyz');
    // The start's own check (the server was down at start too) asks again every 5 s.
    while (ready.status !== 200 && Date.now() - closed < 8_000) {
      await sleep(250);
      ready = await opsGet(opsPort, '/readyz');
    }
    expect(ready.status).toBe(200);
    expect(world.sink.deliveries).toHaveLength(0);
  });
});
