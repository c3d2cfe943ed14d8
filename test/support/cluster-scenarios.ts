import { expect } from 'vitest';
import type { ServiceWorld } from './fault-world.js';
import { outcomeOf, outcomeProblems } from './fault-world.js';
import { codeIn } from './mail-code.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** The variables of the service in `wholeFlow`: a 2 s cooldown, so a newer reset can follow soon. */
export const WHOLE_FLOW_ENV = { RESET_COOLDOWN_SECONDS: '2' };

/**
 * The reset flow as on one server, against a service started with WHOLE_FLOW_ENV whose events the
 * client watches: a code mailed, a wrong code spends a try, the right one completes; a second
 * request in the cooldown is refused; a newer reset supersedes the pending one; 20 parallel wrong
 * codes get exactly the 5 tries.
 */
export async function wholeFlow(world: ServiceWorld, label: string): Promise<void> {
  const { client, sink } = world;
  const email = `${label}-flow@example.com`;
  const request = (userId: string, to = email) => client.requestReset({ userId, email: to, clientIp: '203.0.113.9' });
  const codeFor = async (to: string, index: number) => {
    for (let waited = 0; sink.mailsTo(to).length <= index; waited += 50) {
      if (waited > 20_000) throw new Error(`no mail #${index + 1} to ${to}`);
      await sleep(50);
    }
    return codeIn(sink.mailsTo(to)[index]!.text ?? '');
  };
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

  // Mailed, a wrong code, the right one.
  const first = await request(`u-${label}-1`);
  expect((await client.waitForEvent(first, 'reset.code.sent')).data).toMatchObject({ resetId: first, userId: `u-${label}-1` });
  const firstCode = await codeFor(email, 0);
  expect(await client.verify({ resetId: first, code: wrongFor(firstCode) })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });

  // The cooldown refuses a second request at once.
  const refused = await request(`u-${label}-1`);
  expect((await client.waitForEvent(refused, 'reset.rejected')).data).toMatchObject({ reason: 'cooldown' });

  // After it, a newer reset supersedes the first: its code stops working, the new one completes.
  await sleep(2_100);
  const second = await request(`u-${label}-1`);
  await client.waitForEvent(second, 'reset.code.sent');
  const secondCode = await codeFor(email, 1);
  expect(await client.verify({ resetId: first, code: firstCode })).toEqual({ status: 'superseded', attemptsRemaining: 0 });
  expect(await client.verify({ resetId: second, code: wrongFor(secondCode) })).toEqual({ status: 'invalid_code', attemptsRemaining: 4 });
  expect(await client.verify({ resetId: second, code: secondCode })).toEqual({ status: 'completed', attemptsRemaining: 0 });
  expect(await client.verify({ resetId: second, code: secondCode })).toEqual({ status: 'unknown_reset', attemptsRemaining: 0 });

  // 20 wrong codes at once: exactly 5 tries, then locked; the right code no longer works.
  const lockedEmail = `${label}-locked@example.com`;
  const third = await request(`u-${label}-2`, lockedEmail);
  await client.waitForEvent(third, 'reset.code.sent');
  const thirdCode = await codeFor(lockedEmail, 0);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => client.verify({ resetId: third, code: String((Number(thirdCode) + 1 + i) % 1_000_000).padStart(6, '0') })),
  );
  const tries = answers.filter((answer) => answer.status === 'invalid_code').map((answer) => answer.attemptsRemaining);
  expect(tries.sort()).toEqual([0, 1, 2, 3, 4]);
  expect(answers.filter((answer) => answer.status === 'locked')).toHaveLength(15);
  expect(await client.verify({ resetId: third, code: thirdCode })).toEqual({ status: 'locked', attemptsRemaining: 0 });
}

export interface NodeLossResult {
  readonly mailsBeforeKill: number;
  readonly duplicateMails: number;
  readonly elapsedMs: number;
}

/**
 * Publishes `count` requests (one every `spacingMs`; a failed publish is retried with the same id),
 * calls `kill` once `killAfterMails` mails have arrived, and checks that every request then gets
 * exactly one outcome, `reset.code.sent`, within `timeoutMs`. Returns what was seen, for the log.
 */
export async function requestsThroughNodeLoss(
  world: ServiceWorld,
  options: { count: number; spacingMs: number; killAfterMails: number; kill: () => Promise<void>; timeoutMs: number; from?: number },
): Promise<NodeLossResult & { ids: string[] }> {
  const started = Date.now();
  const from = options.from ?? 0;
  const publishing = world.requestMany(options.count, { from, spacingMs: options.spacingMs });
  await world.sink.waitForMails(world.sink.deliveries.length + options.killAfterMails, 60_000);
  const mailsBeforeKill = world.sink.deliveries.length;
  await options.kill();
  const ids = await publishing;

  const events = await world.waitForOutcomes(ids, options.timeoutMs).catch((error: unknown) => {
    // What the services last said is what explains a stall.
    const tails = world.services.map((service, i) => `service ${i}:\n${service.output.slice(-15).join('\n')}`).join('\n');
    throw new Error(`${(error as Error).message}\n${tails}`, { cause: error });
  });
  expect(outcomeProblems(events, ids)).toEqual([]);
  // Every publish tried again (resetd's own, through a leader change) was dropped as a duplicate.
  const stored = events.map((event) => event.id);
  expect(stored.length - new Set(stored).size).toBe(0);
  const outcomes = outcomeOf(events);
  expect(ids.filter((id) => outcomes.get(id)?.type !== 'reset.code.sent')).toEqual([]);
  const mails = world.mailCounts();
  const emails = ids.map((_, index) => world.email(from + index));
  expect(emails.filter((address) => (mails.get(address) ?? 0) === 0)).toEqual([]);
  const duplicateMails = emails.reduce((sum, address) => sum + Math.max(0, (mails.get(address) ?? 0) - 1), 0);
  return { ids, mailsBeforeKill, duplicateMails, elapsedMs: Date.now() - started };
}

/** Why messages were redelivered, as the services logged it: error message → count, most frequent first. */
export function redeliveryReasons(world: ServiceWorld): string {
  const counts = new Map<string, number>();
  for (const line of world.logLines(/message will be redelivered/)) {
    let reason = 'unknown';
    try {
      const entry = JSON.parse(line) as { err?: { message?: string } };
      reason = (entry.err?.message ?? 'unknown').replace(/\d+/g, 'N').replace(/^Too many Cluster redirections\. Last error: /, 'redirections: ').slice(0, 70);
    } catch {
      // not JSON: leave it unknown
    }
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${count}× ${reason}`).join('; ') || 'none';
}

/** Milliseconds until `check` holds, looking every 100 ms; rejects after `timeoutMs`. */
export async function msUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  while (!(await check().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`not so after ${timeoutMs} ms`);
    await sleep(100);
  }
  return Date.now() - started;
}
