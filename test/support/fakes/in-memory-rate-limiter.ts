import { clientIpKey } from '../../../src/contract/client-ip-key.js';
import type { RateRule } from '../../../src/domain/policy.js';
import type { Admission, AdmissionRequest, Admitted, Clock, RateLimiter, RateRequest } from '../../../src/domain/ports.js';

/**
 * Cooldown and sliding windows in memory, checked and counted in one synchronous step. A refused
 * request counts against nothing; a reset admitted before is admitted again for free, and one
 * refused before is refused again with the same answer while its refusal is remembered. The given
 * clock plays Redis's: the windows slide by it.
 */
export class InMemoryRateLimiter implements RateLimiter {
  constructor(private readonly clock: Clock) {}

  /** `${rule.name}:${subject}` → the admissions still in that rule's window, oldest first. */
  private readonly windows = new Map<string, Array<{ readonly at: number; readonly resetId: string }>>();
  /** userId → when the user's last code was admitted, and for which reset. */
  private readonly lastAdmitted = new Map<string, { readonly at: number; readonly resetId: string }>();
  /** resetId → when it was counted, and until when some window of its still holds it. */
  private readonly admittedResets = new Map<string, number>();
  /** resetId → the refusal it got and until when it is remembered. */
  private readonly refusals = new Map<string, { readonly admission: Admission; readonly until: number }>();
  /** Each admission's request, and whether it counted the reset now (one counted before counted nothing). */
  private readonly admissions = new WeakMap<Admitted, { readonly request: RateRequest; readonly countedNow: boolean }>();

  /** How many admissions a rule's window holds for a subject (user id, IP, or '*' for global) at `now`. */
  countIn(rule: RateRule, subject: string, now: number): number {
    return this.inWindow(`${rule.name}:${subject}`, rule.windowMs, now).length;
  }

  async admit({ request, rules, cooldownMs, rememberRefusalsMs = 86_400_000 }: AdmissionRequest): Promise<Admission> {
    const now = this.clock.now();
    if ((this.admittedResets.get(request.resetId) ?? -Infinity) > now) {
      const again: Admitted = { kind: 'admitted' };
      this.admissions.set(again, { request, countedNow: false });
      return again;
    }
    const given = this.refusals.get(request.resetId);
    if (given && now < given.until) return given.admission;
    const refuse = (admission: Admission): Admission => {
      this.refusals.set(request.resetId, { admission, until: now + rememberRefusalsMs });
      return admission;
    };

    const last = this.lastAdmitted.get(request.userId)?.at;
    if (last !== undefined && now < last + cooldownMs) {
      return refuse({ kind: 'refused', reason: 'cooldown', rule: 'cooldown', retryAfterMs: last + cooldownMs - now });
    }

    const keyed = rules.flatMap((rule) => {
      const subject = subjectOf(rule, request);
      return subject === undefined ? [] : [{ rule, key: `${rule.name}:${subject}` }];
    });
    for (const { rule, key } of keyed) {
      const admitted = this.inWindow(key, rule.windowMs, now);
      if (admitted.length >= rule.limit) {
        // The window frees a place when the admission that puts it at its limit slides out.
        const freeing = admitted[admitted.length - rule.limit]?.at ?? now;
        return refuse({ kind: 'refused', reason: 'rate_limited', rule: rule.name, retryAfterMs: freeing + rule.windowMs - now });
      }
    }

    const admission = { at: now, resetId: request.resetId };
    for (const { key } of keyed) this.windows.set(key, [...(this.windows.get(key) ?? []), admission]);
    this.lastAdmitted.set(request.userId, admission);
    this.admittedResets.set(request.resetId, now + Math.max(cooldownMs, ...rules.map((rule) => rule.windowMs)));
    const admitted: Admitted = { kind: 'admitted' };
    this.admissions.set(admitted, { request, countedNow: true });
    return admitted;
  }

  async release(admitted: Admitted, { everywhere = false }: { readonly everywhere?: boolean } = {}): Promise<void> {
    const admission = this.admissions.get(admitted);
    if (admission === undefined || !(admission.countedNow || everywhere)) return;
    const { resetId, userId } = admission.request;
    for (const [key, admitted] of this.windows) this.windows.set(key, admitted.filter((each) => each.resetId !== resetId));
    if (this.lastAdmitted.get(userId)?.resetId === resetId) this.lastAdmitted.delete(userId);
    this.admittedResets.delete(resetId);
  }

  /** Admissions at t with now − window < t ≤ now; older ones are dropped for good. */
  private inWindow(key: string, windowMs: number, now: number): Array<{ readonly at: number; readonly resetId: string }> {
    const kept = (this.windows.get(key) ?? []).filter(({ at }) => at > now - windowMs);
    this.windows.set(key, kept);
    return kept;
  }
}

function subjectOf(rule: RateRule, request: RateRequest): string | undefined {
  switch (rule.scope) {
    case 'user':
      return request.userId;
    case 'ip':
      // No IP, no per-IP limit; an address counts as the Redis limiter counts it (IPv6 per /64, the default).
      return request.clientIp === undefined ? undefined : clientIpKey(request.clientIp, 64);
    case 'global':
      return '*';
  }
}
