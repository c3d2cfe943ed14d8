import type { RateRule } from '../../domain/policy.js';
import type { Admission, AdmissionRequest, Admitted, RateLimiter, RateRequest } from '../../domain/ports.js';
import { clientIpKey } from '../../contract/client-ip-key.js';
import { noteAudit } from '../audit/audit-context.js';
import { activeContext, runInContext } from '../otel/message-context.js';
import type { RedisClient } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { clockArgument, redisClock, type ScriptClock } from './script-clock.js';
import { RememberedBudget } from './remembered-budget.js';
import { runRelease } from './scripts/release-script.js';
import { runReserve, type Reserve } from './scripts/reserve-script.js';

/** What every layer's reservation of one request has alike; the rest are the keys of its slot. */
type Shared = Pick<Reserve, 'resetId' | 'clock' | 'cooldownMs' | 'refusalsTtlMs' | 'refusalsKept'>;

const DAY = 86_400_000;

/**
 * The most refusals one subject's hash keeps a period: some 13 MB. A flood from one IP, or the
 * global limit's refusals, would otherwise grow one key (one Cluster slot) for two days, by the rate
 * the service can refuse at.
 */
const REFUSALS_KEPT = 100_000;

/**
 * The most refusals the whole deployment remembers an hour: fields live up to two days, so at most
 * about a million at once, some 120 MB. The ceiling per subject does not bound a flood that spreads
 * over subjects (each user one admission, then refusals).
 */
const REFUSALS_KEPT_AN_HOUR = 20_000;

/**
 * Cooldown and sliding windows as Redis keys: one sorted set of admitted resetIds per rule and
 * subject. The user's, the client IP's and the global limits live in three hash slots (on Redis
 * Cluster, maybe three nodes), so no one script can check them all. Instead the request reserves
 * in every layer at once (user with its cooldown, IP, global), each layer checked and counted
 * atomically in its slot; if any layer refuses, the layers that counted the reset release it.
 *
 * So a refused request spends nothing once `admit` returns, and no limit is ever exceeded. For
 * the moment between a reservation and its release, another request may be refused by that count
 * (or, if it is the same user's, by its cooldown): at worst it is told to retry too early.
 *
 * A refusal is remembered by the layer that gave it, as one field of a hash per subject and
 * period (`refusals`), for at least `rememberRefusalsMs`: a flood from one IP or against one user
 * leaves one small field per refused request in one hash, up to `REFUSALS_KEPT` (and
 * `REFUSALS_KEPT_AN_HOUR` across subjects), and a repeat is refused as it was.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: RedisClient,
    keyPrefix: string,
    /** IPv6 addresses count per network of this many bits (`RATE_IPV6_PREFIX`). */
    private readonly ipv6PrefixLength: number,
    private readonly clock: ScriptClock = redisClock,
    private readonly refusalsKept = REFUSALS_KEPT,
    refusalsKeptAnHour = REFUSALS_KEPT_AN_HOUR,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    this.budget = new RememberedBudget(redis, this.keys.rememberedCount('refusals'), refusalsKeptAnHour);
  }

  /** The deployment's ceiling on refusals remembered, across subjects. */
  private readonly budget: RememberedBudget;
  /** Each admission's layers, and those of them that counted the reset now (not before). */
  private readonly admitted = new WeakMap<Admitted, { readonly all: readonly Reserve[]; readonly countedNow: readonly Reserve[] }>();

  async admit(admission: AdmissionRequest): Promise<Admission> {
    // The release follows an await: it goes back into the message's context, taken now.
    const context = activeContext();
    const reservations = this.reservationsFor(admission);
    // Every layer at once (one round trip); if any refuses, the ones that counted the reset release it.
    const replies = await Promise.all(reservations.map((reservation) => runReserve(this.redis, reservation)));
    // A repeat keeps the answer it got first, though another layer may refuse it now as well.
    const refusals = replies.filter((reply) => reply.kind === 'refused');
    const refusal = refusals.find((reply) => reply.remembered) ?? refusals[0];
    // A layer that had counted the reset before keeps it: that count is an earlier admission's (a
    // replay of the id under another user or address must not undo it). One cut off by a fault
    // before another layer refused it stays counted until its window slides: too strict, never lax.
    const countedNow = reservations.filter((_, i) => replies[i]!.kind === 'admitted' && replies[i]!.counted);
    if (!refusal) {
      const admitted: Admitted = { kind: 'admitted' };
      this.admitted.set(admitted, { all: reservations, countedNow });
      return admitted;
    }
    // Each layer that refused may have stored its refusal: what was stored is counted.
    const stored = refusals.filter((reply) => reply.stored).length;
    await runInContext(context, () => Promise.all([...countedNow.map((reservation) => runRelease(this.redis, reservation)), this.budget.spend(stored)]));
    const { reason, rule, retryAfterMs } = refusal;
    return { kind: 'refused', reason, rule, retryAfterMs };
  }

  async release(admitted: Admitted, { everywhere = false }: { readonly everywhere?: boolean } = {}): Promise<void> {
    const layers = this.admitted.get(admitted);
    await Promise.all(((everywhere ? layers?.all : layers?.countedNow) ?? []).map((reservation) => runRelease(this.redis, reservation)));
  }

  private reservationsFor({ request, rules, cooldownMs, rememberRefusalsMs = DAY }: AdmissionRequest): Reserve[] {
    // Refusals go to the hash of the current period, which lives until the end of the next one:
    // looking in this period's hash and the one before finds each for at least `rememberRefusalsMs`.
    // Only which hash holds a refusal follows this process's clock (no verdict does, the scripts
    // judge by Redis's); the one after is looked in too, for a writer whose clock runs ahead.
    const now = this.clock.pinned() ?? Date.now();
    const period = Math.floor(now / rememberRefusalsMs);
    // Relative, so the key expires by Redis's clock when the caller's says it should.
    const refusalsTtlMs = (period + 2) * rememberRefusalsMs - now;
    const refusalsKept = this.budget.open ? this.refusalsKept : 0;
    return this.reservationsOf(request, rules, period, { resetId: request.resetId, clock: clockArgument(this.clock), cooldownMs, refusalsTtlMs, refusalsKept });
  }

  /**
   * User (cooldown and per-user rules), then IP (only with a client IP, counted by address, not
   * spelling), then global; empty layers are skipped.
   */
  private reservationsOf(request: RateRequest, rules: readonly RateRule[], period: number, shared: Shared): Reserve[] {
    // The cooldown is the user's: it lives in the user's layer.
    const layer = (scope: RateRule['scope'], subject: string): Reserve => {
      const own = rules.filter((rule) => rule.scope === scope);
      const windows = own.map((rule) => this.keys.rate(scope, subject, rule.name));
      const refusals = [
        this.keys.refusals(scope, subject, period),
        this.keys.refusals(scope, subject, period - 1),
        this.keys.refusals(scope, subject, period + 1),
      ] as const;
      return { cooldownKey: scope === 'user' ? this.keys.cooldown(subject) : undefined, windows, rules: own, refusals, ...shared };
    };
    const layers = [layer('user', request.userId)];
    if (request.clientIp !== undefined) {
      const ipKey = clientIpKey(request.clientIp, this.ipv6PrefixLength);
      // The audit keeps the address as given and, from here, the one it was counted as.
      noteAudit({ clientIpKey: ipKey });
      layers.push(layer('ip', ipKey));
    }
    layers.push(layer('global', 'global'));
    return layers.filter((each) => each.cooldownKey !== undefined || each.windows.length > 0);
  }
}
