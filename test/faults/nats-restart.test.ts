import { afterEach, describe, expect, it } from 'vitest';
import { FaultWorld, outcomeOf, outcomeProblems } from '../support/fault-world.js';
import { codeIn } from '../support/mail-code.js';

describe('the NATS server restarting', () => {
  let world: FaultWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  // SIGTERM is a restart by an operator; SIGKILL a crash, after which the file store must still hold
  // every publish it acknowledged.
  it.each(['SIGTERM', 'SIGKILL'] as const)('stopped by %s in the middle of 300 requests: every acknowledged request gets exactly one outcome, and reset.verify answers again', async (signal) => {
    world = await FaultWorld.start({ label: `nats${signal.toLowerCase()}` });
    world.sink.setReplyDelay(20);
    const service = await world.startService();

    // The client retries a publish that failed, with the same id, as the contract asks.
    const publishing = world.requestMany(300, { spacingMs: 15 });
    await world.sink.waitForMails(60, 30_000);
    const mailsBefore = world.sink.deliveries.length;
    await world.nats.restart(2_000, signal);
    const ids = await publishing;
    await service.waitForLog(/NATS connection regained/);

    const events = await world.waitForOutcomes(ids, 150_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const mails = world.mailCounts();
    expect(ids.map((_, index) => world!.email(index)).filter((email) => mails.get(email) !== 1)).toEqual([]);
    expect(service.output.some((line) => /NATS connection lost/.test(line))).toBe(true);

    // The verify subscription is back too.
    const code = codeIn(world.sink.mailsTo(world.email(299))[0]!.text ?? '');
    expect(await world.client.verify({ resetId: ids[299], code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    const pullErrors = service.output.filter((line) => /pulling from the inbox failed/.test(line)).length;
    // Every processed message leaves the work queue, the crash notwithstanding (nats-server 2.9 can
    // lose the deletes of acknowledged messages when killed; the service sweeps them on reconnect).
    await expect.poll(async () => (await world!.client.jsm.streams.info(world!.client.subjects.inboxStream)).state.messages, { timeout: 20_000 }).toBe(0);
    const swept = service.output.filter((line) => /deleted acknowledged messages/.test(line)).map((line) => (JSON.parse(line) as { deleted: number }).deleted);
    console.info(`NATS ${signal}: ${mailsBefore} mails before the restart; ${pullErrors} failed pulls; all 300 served once; ${swept.join('+') || 0} acknowledged messages swept from the inbox`);
  });
});
