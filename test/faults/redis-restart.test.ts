import { afterEach, describe, expect, it } from 'vitest';
import { FaultWorld, outcomeOf, outcomeProblems } from '../support/fault-world.js';
import { codeIn } from '../support/mail-code.js';
import { setTimeout as sleep } from 'node:timers/promises';

describe('Redis going away', () => {
  let world: FaultWorld | undefined;

  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('restarted in the middle of 300 requests: every request gets exactly one outcome and one mail', async () => {
    world = await FaultWorld.start({ label: 'redisrestart', persistentRedis: true });
    // A slow SMTP reply keeps many requests between their mail and its record when Redis goes.
    world.sink.setReplyDelay(20);
    const service = await world.startService();

    const publishing = world.requestMany(300, { spacingMs: 15 });
    await world.sink.waitForMails(60, 30_000);
    await world.redis.restart(1_500);
    const ids = await publishing;
    await service.waitForLog(/Redis connection regained/);

    const events = await world.waitForOutcomes(ids, 120_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    const outcomes = outcomeOf(events);
    expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
    const mails = world.mailCounts();
    const duplicated = ids.map((_, index) => world!.email(index)).filter((email) => mails.get(email) !== 1);
    expect(duplicated).toEqual([]);
    expect(service.output.some((line) => /Redis connection lost/.test(line))).toBe(true);
    const redelivered = service.output.filter((line) => /message will be redelivered/.test(line)).length;
    console.info(`Redis restart: ${redelivered} messages redelivered, no duplicate among ${mails.size} mails`);
  });

  it('down during reset.verify: answers unavailable at once, publishes nothing, spends no try; the code verifies once it is back', async () => {
    world = await FaultWorld.start({ label: 'redisverify', persistentRedis: true });
    const service = await world.startService();
    const [resetId] = await world.requestMany(1);
    await world.waitForOutcomes([resetId!], 20_000);
    const code = codeIn((await world.sink.waitForMail(world.email(0))).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';

    await world.redis.stop();
    await service.waitForLog(/Redis connection lost/);
    for (const attempt of [code, wrong]) {
      const asked = Date.now();
      expect(await world.client.verify({ resetId, code: attempt })).toEqual({ status: 'unavailable' });
      expect(Date.now() - asked).toBeLessThan(3_000);
    }
    await sleep(1_000);
    expect((await world.readEvents()).map((event) => event.type)).toEqual(['reset.code.sent']);

    await world.redis.start();
    await service.waitForLog(/Redis connection regained/);
    // No try was spent while Redis was away: the wrong code leaves 4 of 5.
    expect(await world.client.verify({ resetId, code: wrong })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
    expect(await world.client.verify({ resetId, code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    expect((await world.readEvents()).map((event) => event.type)).toEqual(['reset.code.sent', 'reset.verification.failed', 'reset.completed']);
  });
  it('frozen (SIGSTOP, connections open but silent): reset.verify answers unavailable within seconds; requests resume when it thaws', async () => {
    world = await FaultWorld.start({ label: 'redisfrozen' });
    await world.startService();
    const [first] = await world.requestMany(1);
    await world.waitForOutcomes([first!], 20_000);

    world.redis.pause();
    let later: string[];
    try {
      const asked = Date.now();
      expect(await world.client.verify({ resetId: first, code: '123456' })).toEqual({ status: 'unavailable' });
      expect(Date.now() - asked).toBeLessThan(8_000);
      later = await world.requestMany(5, { from: 1 });
      await sleep(2_000);
    } finally {
      world.redis.resume();
    }

    const ids = [first!, ...later];
    const events = await world.waitForOutcomes(ids, 60_000);
    expect(outcomeProblems(events, ids)).toEqual([]);
    const mails = world.mailCounts();
    expect(ids.map((_, index) => world!.email(index)).filter((email) => mails.get(email) !== 1)).toEqual([]);
  });
});
