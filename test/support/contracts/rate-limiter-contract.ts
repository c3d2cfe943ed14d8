import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RateRule } from '../../../src/domain/policy.js';
import type { Admission, RateLimiter, RateRequest } from '../../../src/domain/ports.js';
import { START } from '../fakes/fixed-clock.js';
import { usePort, type MakePort } from './port-under-test.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const IP = '203.0.113.7';

const perUser = (limit: number): RateRule => ({ name: 'user-hour', scope: 'user', limit, windowMs: HOUR });
const perIp = (limit: number): RateRule => ({ name: 'ip-hour', scope: 'ip', limit, windowMs: HOUR });
const everyone = (limit: number): RateRule => ({ name: 'global-hour', scope: 'global', limit, windowMs: HOUR });

const aRequest = (overrides: Partial<RateRequest> = {}): RateRequest => ({ resetId: 'r-1', userId: 'u-1', clientIp: IP, ...overrides });

const admittedOf = (answers: readonly Admission[]): number => answers.filter((answer) => answer.kind === 'admitted').length;

/**
 * The RateLimiter's rules (cooldown, sliding windows per user, IP and everyone, free repeats,
 * remembered refusals), in terms of the port only, for the in-memory fake and for Redis.
 */
export function describeRateLimiter(name: string, make: MakePort<RateLimiter>): void {
  describe(`${name}: the RateLimiter contract`, () => {
    const subject = usePort(make);
    /** Admits `request` under `rules` at START + `offsetMs`. */
    const admitAt = (offsetMs: number, request: RateRequest, rules: readonly RateRule[], cooldownMs = 0, rememberRefusalsMs?: number) => {
      subject.clock.set(START + offsetMs);
      return subject.port.admit({ request, rules, cooldownMs, ...(rememberRefusalsMs === undefined ? {} : { rememberRefusalsMs }) });
    };

    /** `count` admissions in parallel, alternating between two instances. */
    async function admitInParallel(count: number, request: (i: number) => RateRequest, rules: readonly RateRule[]) {
      const other = subject.another();
      return Promise.all(Array.from({ length: count }, (_, i) => (i % 2 === 0 ? subject.port : other).admit({ request: request(i), rules, cooldownMs: 0 })));
    }

    describe('cooldown', () => {
      it("refuses another reset of the user during the cooldown, with the time it has left", async () => {
        expect(await admitAt(0, aRequest(), [perUser(5)], MINUTE)).toEqual({ kind: 'admitted' });
        const refusal = await admitAt(0, aRequest({ resetId: 'r-2' }), [perUser(5)], MINUTE);
        expect(refusal).toMatchObject({ kind: 'refused', reason: 'cooldown', rule: 'cooldown' });
        // Redis counts the cooldown down by its own clock, so a moment may have passed.
        expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeGreaterThan(MINUTE - 5_000);
        expect(refusal.kind === 'refused' && refusal.retryAfterMs).toBeLessThanOrEqual(MINUTE);
      });

      it('admits the user again once the cooldown is over', async () => {
        // Redis ends a cooldown by the key's TTL, in real time: a short one, waited out on both clocks.
        const cooldownMs = 20;
        await admitAt(0, aRequest(), [perUser(5)], cooldownMs);
        await sleep(cooldownMs + 30);
        expect(await admitAt(cooldownMs, aRequest({ resetId: 'r-2' }), [perUser(5)], cooldownMs)).toEqual({ kind: 'admitted' });
      });

      it('keeps the cooldown per user', async () => {
        await admitAt(0, aRequest(), [perUser(5)], MINUTE);
        expect(await admitAt(0, aRequest({ resetId: 'r-2', userId: 'u-2' }), [perUser(5)], MINUTE)).toEqual({ kind: 'admitted' });
      });
    });

    it('admits the same reset again for free during its cooldown', async () => {
      expect(await admitAt(0, aRequest(), [perUser(5)], MINUTE)).toEqual({ kind: 'admitted' });
      expect(await admitAt(1_000, aRequest(), [perUser(5)], MINUTE)).toEqual({ kind: 'admitted' });
      expect(await admitAt(2_000, aRequest({ resetId: 'r-2' }), [perUser(5)], MINUTE)).toMatchObject({ reason: 'cooldown' });
      expect(await admitAt(3_000, aRequest(), [perUser(5)], MINUTE)).toEqual({ kind: 'admitted' });
    });

    it('counts a reset again once it has slid out of its window: a repeat is free only while it is counted', async () => {
      const rules = [perUser(2)];
      expect(await admitAt(0, aRequest(), rules)).toEqual({ kind: 'admitted' });
      expect(await admitAt(30 * MINUTE, aRequest({ resetId: 'r-2' }), rules)).toEqual({ kind: 'admitted' });
      expect(await admitAt(HOUR + MINUTE, aRequest(), rules)).toEqual({ kind: 'admitted' });
      // r-2 and r-1 again fill the window: r-1's first admission no longer counts, its second does.
      expect(await admitAt(HOUR + 2 * MINUTE, aRequest({ resetId: 'r-3' }), rules)).toMatchObject({ kind: 'refused', rule: 'user-hour' });
    });

    it('admits the same reset again for free at the limit, counting it once', async () => {
      expect(await admitAt(0, aRequest(), [perUser(1)])).toEqual({ kind: 'admitted' });
      expect(await admitAt(1_000, aRequest(), [perUser(1)])).toEqual({ kind: 'admitted' });
      expect(await admitAt(2_000, aRequest({ resetId: 'r-2' }), [perUser(1)])).toMatchObject({ reason: 'rate_limited', retryAfterMs: HOUR - 2_000 });
      expect(await admitAt(3_000, aRequest(), [perUser(1)])).toEqual({ kind: 'admitted' });
    });

    describe('release', () => {
      const rules = [perUser(1), perIp(1), everyone(2)];
      const admitted = (answer: Admission) => {
        if (answer.kind !== 'admitted') throw new Error(`expected an admission, got ${JSON.stringify(answer)}`);
        return answer;
      };

      it('undoes an admission in every layer: its cooldown and its place in each window', async () => {
        const admission = admitted(await admitAt(0, aRequest(), [perUser(1), perIp(1), everyone(1)], MINUTE));
        await subject.port.release(admission);
        await subject.port.release(admission);

        expect(await admitAt(1_000, aRequest({ resetId: 'r-2' }), [perUser(1), perIp(1), everyone(1)], MINUTE)).toEqual({ kind: 'admitted' });
      });

      it("leaves another reset's admission and cooldown as they were", async () => {
        expect(await admitAt(0, aRequest(), rules, MINUTE)).toEqual({ kind: 'admitted' });
        await subject.port.release(admitted(await admitAt(0, aRequest({ resetId: 'r-2', userId: 'u-2', clientIp: '198.51.100.2' }), rules, MINUTE)));

        expect(await admitAt(1_000, aRequest({ resetId: 'r-3' }), rules, MINUTE)).toMatchObject({ kind: 'refused', reason: 'cooldown' });
        expect(await admitAt(1_000, aRequest({ resetId: 'r-4', userId: 'u-3', clientIp: '198.51.100.4' }), rules)).toEqual({ kind: 'admitted' });
        expect(await admitAt(1_000, aRequest({ resetId: 'r-5', userId: 'u-5', clientIp: '198.51.100.5' }), rules)).toMatchObject({ kind: 'refused', rule: 'global-hour' });
      });

      it("undoes only what a repeat's admission counted: the reset asked again under another user and address keeps its first admission, and takes nothing of theirs", async () => {
        expect(await admitAt(0, aRequest(), rules, MINUTE)).toEqual({ kind: 'admitted' });
        const replay = admitted(await admitAt(1_000, aRequest({ userId: 'u-victim', clientIp: '198.51.100.9' }), rules, MINUTE));
        await subject.port.release(replay);

        // The victim and its address have no cooldown and no place taken.
        expect(await admitAt(2_000, aRequest({ resetId: 'r-2', userId: 'u-victim', clientIp: '198.51.100.9' }), rules, MINUTE)).toEqual({ kind: 'admitted' });
        // The first admission still holds its user's cooldown, its address's place and a global one.
        expect(await admitAt(2_000, aRequest({ resetId: 'r-3' }), rules, MINUTE)).toMatchObject({ kind: 'refused', reason: 'cooldown' });
        expect(await admitAt(2_000, aRequest({ resetId: 'r-4', userId: 'u-4' }), rules)).toMatchObject({ kind: 'refused', rule: 'ip-hour' });
        expect(await admitAt(2_000, aRequest({ resetId: 'r-5', userId: 'u-5', clientIp: '198.51.100.5' }), rules)).toMatchObject({ kind: 'refused', rule: 'global-hour' });
      });

      it("leaves the first admission's counts when a repeat of the reset from another address is refused there", async () => {
        const limits = [perUser(5), perIp(1), everyone(3)];
        expect(await admitAt(0, aRequest(), limits, MINUTE)).toEqual({ kind: 'admitted' });
        expect(await admitAt(0, aRequest({ resetId: 'r-z', userId: 'u-z', clientIp: '198.51.100.26' }), limits)).toEqual({ kind: 'admitted' });
        // Refused by the full address, while the user and global layers hold the reset from before: it takes nothing back.
        expect(await admitAt(1_000, aRequest({ clientIp: '198.51.100.26' }), limits, MINUTE)).toMatchObject({ kind: 'refused', rule: 'ip-hour' });

        expect(await admitAt(2_000, aRequest({ resetId: 'r-2' }), limits, MINUTE)).toMatchObject({ kind: 'refused', reason: 'cooldown' });
        expect(await admitAt(2_000, aRequest({ resetId: 'r-g', userId: 'u-g', clientIp: '198.51.100.7' }), limits)).toEqual({ kind: 'admitted' });
        expect(await admitAt(2_000, aRequest({ resetId: 'r-h', userId: 'u-h', clientIp: '198.51.100.8' }), limits)).toMatchObject({ kind: 'refused', rule: 'global-hour' });
      });

      it('releases everywhere, when asked, what a repeat found counted before: a reset never admitted keeps no count', async () => {
        const limits = [perUser(1), perIp(1), everyone(1)];
        expect(await admitAt(0, aRequest(), limits, MINUTE)).toEqual({ kind: 'admitted' });
        await subject.port.release(admitted(await admitAt(1_000, aRequest(), limits, MINUTE)), { everywhere: true });

        expect(await admitAt(2_000, aRequest({ resetId: 'r-2' }), limits, MINUTE)).toEqual({ kind: 'admitted' });
      });
    });

    describe('sliding windows', () => {
      it('holds a per-user limit across two instances', async () => {
        const answers = await admitInParallel(20, (i) => aRequest({ resetId: `r-${i}` }), [perUser(5)]);
        expect(admittedOf(answers)).toBe(5);
        expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'user-hour')).toHaveLength(15);
      });

      it('holds a per-IP limit across two instances', async () => {
        const answers = await admitInParallel(20, (i) => aRequest({ resetId: `r-${i}`, userId: `u-${i}` }), [perUser(5), perIp(3)]);
        expect(admittedOf(answers)).toBe(3);
        expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'ip-hour')).toHaveLength(17);
      });

      it('holds a global limit across two instances', async () => {
        const answers = await admitInParallel(
          20,
          (i) => aRequest({ resetId: `r-${i}`, userId: `u-${i}`, clientIp: `198.51.100.${i}` }),
          [perUser(5), perIp(20), everyone(4)],
        );
        expect(admittedOf(answers)).toBe(4);
        expect(answers.filter((answer) => answer.kind === 'refused' && answer.rule === 'global-hour')).toHaveLength(16);
      });

      it('slides the window: a slot frees when its oldest admission leaves it', async () => {
        const rules = [perUser(2)];
        await admitAt(0, aRequest({ resetId: 'r-1' }), rules);
        await admitAt(10 * MINUTE, aRequest({ resetId: 'r-2' }), rules);
        expect(await admitAt(20 * MINUTE, aRequest({ resetId: 'r-3' }), rules)).toEqual({
          kind: 'refused',
          reason: 'rate_limited',
          rule: 'user-hour',
          retryAfterMs: 40 * MINUTE,
        });
        expect(await admitAt(HOUR, aRequest({ resetId: 'r-3b' }), rules)).toEqual({ kind: 'admitted' });
        expect(await admitAt(HOUR + 1, aRequest({ resetId: 'r-4' }), rules)).toEqual({
          kind: 'refused',
          reason: 'rate_limited',
          rule: 'user-hour',
          retryAfterMs: 10 * MINUTE - 1,
        });
      });

      it('counts a refused request against nothing: not its user, not the other layers', async () => {
        const rules = [perUser(5), perIp(1), everyone(2)];
        await admitAt(0, aRequest(), rules, MINUTE);
        expect(await admitAt(0, aRequest({ resetId: 'r-2', userId: 'u-2' }), rules, MINUTE)).toMatchObject({ kind: 'refused', rule: 'ip-hour' });
        // u-2 holds no cooldown, and the global window counted r-1 only.
        expect(await admitAt(0, aRequest({ resetId: 'r-3', userId: 'u-2', clientIp: '198.51.100.1' }), rules, MINUTE)).toEqual({ kind: 'admitted' });
        expect(await admitAt(0, aRequest({ resetId: 'r-4', userId: 'u-3', clientIp: '198.51.100.2' }), rules, MINUTE)).toMatchObject({
          kind: 'refused',
          rule: 'global-hour',
        });
      });

      it('never admits more than any limit allows under parallel requests', async () => {
        const request = (i: number) => aRequest({ resetId: `r-${i}`, userId: `u-${i % 8}`, clientIp: `198.51.100.${i % 4}` });
        const answers = await admitInParallel(40, request, [perUser(2), perIp(3), everyone(10)]);
        const admitted = answers.flatMap((answer, i) => (answer.kind === 'admitted' ? [request(i)] : []));
        expect(admitted.length).toBeGreaterThan(0);
        expect(admitted.length).toBeLessThanOrEqual(10);
        const most = (key: (each: RateRequest) => string | undefined) => {
          const counts = new Map<string | undefined, number>();
          for (const each of admitted) counts.set(key(each), (counts.get(key(each)) ?? 0) + 1);
          return Math.max(...counts.values());
        };
        expect(most((each) => each.userId)).toBeLessThanOrEqual(2);
        expect(most((each) => each.clientIp)).toBeLessThanOrEqual(3);
      });

      it('limits a request without a client IP per user and globally only', async () => {
        const rules = [perUser(5), perIp(1), everyone(100)];
        for (const userId of ['u-1', 'u-2']) {
          expect(await admitAt(0, { resetId: `r-${userId}`, userId }, rules, MINUTE)).toEqual({ kind: 'admitted' });
        }
      });
    });

    describe('client addresses, not spellings', () => {
      const rules = [perIp(20)];
      /** Admits one request per address, each of its own user and reset; returns how many were admitted. */
      const admitFrom = async (addresses: readonly string[], tag: string) => {
        const answers = [];
        for (const [i, clientIp] of addresses.entries()) answers.push(await admitAt(0, aRequest({ resetId: `${tag}-${i}`, userId: `${tag}-u-${i}`, clientIp }), rules));
        return admittedOf(answers);
      };

      it('counts every spelling of one IPv6 address as that address: 20 of 100, in five spellings', async () => {
        const spellings = ['2001:db8::7', '2001:DB8::7', '2001:db8:0:0:0:0:0:7', '2001:0db8:0000:0000:0000:0000:0000:0007', '2001:db8::0:7'];
        expect(await admitFrom(spellings.flatMap((spelling) => Array<string>(20).fill(spelling)), 'six')).toBe(20);
      });

      it('counts an IPv4-mapped IPv6 address with its IPv4 address', async () => {
        expect(await admitFrom(Array<string>(20).fill('198.51.100.77'), 'four')).toBe(20);
        expect(await admitFrom(['::ffff:198.51.100.77', '::FFFF:c633:644d', '0:0:0:0:0:ffff:198.51.100.77'], 'mapped')).toBe(0);
      });

      it('counts the IPv4-compatible ::/96 (::1, ::a.b.c.d) as IPv6, apart from IPv4', async () => {
        expect(await admitFrom(Array<string>(20).fill('0.0.0.1'), 'zeros')).toBe(20);
        expect(await admitFrom(['::1', '::198.51.100.77'], 'compatible')).toBe(2);
      });

      it('counts the addresses of one /64 together and admits another /64', async () => {
        const oneNetwork = Array.from({ length: 100 }, (_, i) => `2001:db8:1:2:${(i + 1).toString(16)}::${i}`);
        expect(await admitFrom(oneNetwork, 'net')).toBe(20);
        expect(await admitFrom(['2001:db8:1:3::1'], 'next')).toBe(1);
      });
    });

    describe('remembered refusals', () => {
      it('refuses a refused reset again with its first answer, even once the limit has room, for at least the memory given', async () => {
        await admitAt(0, aRequest(), [perIp(1)], 0, DAY);
        const first = await admitAt(MINUTE, aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(1)], 0, DAY);
        expect(first).toEqual({ kind: 'refused', reason: 'rate_limited', rule: 'ip-hour', retryAfterMs: HOUR - MINUTE });
        // The window has moved on: a new reset is admitted, the refused one is still refused, as it was.
        expect(await admitAt(2 * HOUR, aRequest({ resetId: 'r-3', userId: 'u-3' }), [perIp(1)], 0, DAY)).toEqual({ kind: 'admitted' });
        expect(await admitAt(DAY, aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(5)], 0, DAY)).toEqual(first);
        expect(await admitAt(3 * DAY, aRequest({ resetId: 'r-2', userId: 'u-2' }), [perIp(5)], 0, DAY)).toEqual({ kind: 'admitted' });
      });

      it("repeats a refusal's first answer even when another layer refuses the repeat too", async () => {
        const rules = [perUser(5), perIp(1)];
        await admitAt(0, aRequest({ resetId: 'r-0', userId: 'u-0' }), rules, MINUTE, DAY);
        const first = await admitAt(1_000, aRequest(), rules, MINUTE, DAY);
        expect(first).toMatchObject({ kind: 'refused', reason: 'rate_limited', rule: 'ip-hour' });
        // Meanwhile another reset of the user, from another IP, holds the user's cooldown.
        expect(await admitAt(2_000, aRequest({ resetId: 'r-9', clientIp: '198.51.100.9' }), rules, MINUTE, DAY)).toEqual({ kind: 'admitted' });
        expect(await admitAt(3_000, aRequest(), rules, MINUTE, DAY)).toEqual(first);
      });
    });
  });
}
