import { clientIpKey } from '../../../src/contract/client-ip-key.js';
import type { RateRule } from '../../../src/domain/policy.js';
import type { Admission, AdmissionRequest, Admitted, Clock, RateLimiter, RateRequest } from '../../../src/domain/ports.js';

type Refusal = Extract<Admission, { kind: 'refused' }>;

/** One layer of one request, as the Redis limiter has them: the user's (with the cooldown), the IP's, the global one. */
interface Layer {
  readonly cooldownOf?: string;
  readonly windows: ReadonlyArray<{ readonly rule: RateRule; readonly key: string }>;
  /** Where this layer remembers its refusals. */
  readonly refusalsKey: string;
}

/**
 * Cooldown and sliding windows in memory, layer by layer as the Redis limiter counts them, each
 * layer checked and counted in one synchronous step: a layer that holds the reset within its window
 * admits it again for free (counted before), one that refused it before refuses it again while the
 * refusal is remembered, else it checks and counts (counted now). A refused request keeps only what
 * layers had counted before; `release` undoes what an admission counted now (`everywhere`: in every
 * layer of its request). The given clock plays Redis's: the windows slide by it.
 */
export class InMemoryRateLimiter implements RateLimiter {
  constructor(private readonly clock: Clock) {}

  /** `${rule.name}:${subject}` → the admissions still in that rule's window, oldest first. */
  private readonly windows = new Map<string, Array<{ readonly at: number; readonly resetId: string }>>();
  /** userId → the reset holding the user's cooldown, and until when. */
  private readonly cooldowns = new Map<string, { readonly resetId: string; readonly until: number }>();
  /** `${layer}:${resetId}` → the refusal that layer gave and until when it is remembered. */
  private readonly refusals = new Map<string, { readonly refusal: Refusal; readonly until: number }>();
  /** Each admission's layers, and those that counted the reset now. */
  private readonly admissions = new WeakMap<Admitted, { readonly resetId: string; readonly all: readonly Layer[]; readonly countedNow: readonly Layer[] }>();

  /** How many admissions a rule's window holds for a subject (user id, IP, or '*' for global) at `now`. */
  countIn(rule: RateRule, subject: string, now: number): number {
    return this.inWindow(`${rule.name}:${subject}`, rule.windowMs, now).length;
  }

  async admit({ request, rules, cooldownMs, rememberRefusalsMs = 86_400_000 }: AdmissionRequest): Promise<Admission> {
    const now = this.clock.now();
    const layers = layersOf(request, rules);
    const answers = layers.map((layer) => this.reserve(layer, request.resetId, now, cooldownMs, rememberRefusalsMs));
    const countedNow = layers.filter((_, i) => answers[i] === 'counted');
    const refusals = answers.filter((answer): answer is Refusal & { remembered: boolean } => typeof answer === 'object');
    const refusal = refusals.find((answer) => answer.remembered) ?? refusals[0];
    if (refusal) {
      for (const layer of countedNow) this.undo(layer, request.resetId);
      const { kind, reason, rule, retryAfterMs } = refusal;
      return { kind, reason, rule, retryAfterMs };
    }
    const admitted: Admitted = { kind: 'admitted' };
    this.admissions.set(admitted, { resetId: request.resetId, all: layers, countedNow });
    return admitted;
  }

  async release(admitted: Admitted, { everywhere = false }: { readonly everywhere?: boolean } = {}): Promise<void> {
    const admission = this.admissions.get(admitted);
    for (const layer of (everywhere ? admission?.all : admission?.countedNow) ?? []) this.undo(layer, admission!.resetId);
  }

  private reserve(layer: Layer, resetId: string, now: number, cooldownMs: number, rememberMs: number): 'counted' | 'admitted' | (Refusal & { remembered: boolean }) {
    const cooldown = layer.cooldownOf === undefined ? undefined : this.cooldowns.get(layer.cooldownOf);
    const holdsCooldown = cooldown !== undefined && cooldown.resetId === resetId && now < cooldown.until;
    if (holdsCooldown || layer.windows.some(({ rule, key }) => this.inWindow(key, rule.windowMs, now).some((each) => each.resetId === resetId))) return 'admitted';
    const given = this.refusals.get(`${layer.refusalsKey}:${resetId}`);
    if (given && now < given.until) return { ...given.refusal, remembered: true };
    const refuse = (refusal: Refusal) => {
      this.refusals.set(`${layer.refusalsKey}:${resetId}`, { refusal, until: now + rememberMs });
      return { ...refusal, remembered: false };
    };
    if (cooldown !== undefined && now < cooldown.until) return refuse({ kind: 'refused', reason: 'cooldown', rule: 'cooldown', retryAfterMs: cooldown.until - now });
    for (const { rule, key } of layer.windows) {
      const admitted = this.inWindow(key, rule.windowMs, now);
      if (admitted.length >= rule.limit) {
        // The window frees a place when the admission that puts it at its limit slides out.
        const freeing = admitted[admitted.length - rule.limit]?.at ?? now;
        return refuse({ kind: 'refused', reason: 'rate_limited', rule: rule.name, retryAfterMs: freeing + rule.windowMs - now });
      }
    }
    for (const { key } of layer.windows) this.windows.set(key, [...(this.windows.get(key) ?? []), { at: now, resetId }]);
    if (layer.cooldownOf !== undefined && cooldownMs > 0) this.cooldowns.set(layer.cooldownOf, { resetId, until: now + cooldownMs });
    return 'counted';
  }

  /** The reset's place in each of the layer's windows, and the cooldown if it holds it. */
  private undo(layer: Layer, resetId: string): void {
    for (const { key } of layer.windows) this.windows.set(key, (this.windows.get(key) ?? []).filter((each) => each.resetId !== resetId));
    if (layer.cooldownOf !== undefined && this.cooldowns.get(layer.cooldownOf)?.resetId === resetId) this.cooldowns.delete(layer.cooldownOf);
  }

  /** Admissions at t with now − window < t ≤ now; older ones are dropped for good. */
  private inWindow(key: string, windowMs: number, now: number): Array<{ readonly at: number; readonly resetId: string }> {
    const kept = (this.windows.get(key) ?? []).filter(({ at }) => at > now - windowMs);
    this.windows.set(key, kept);
    return kept;
  }
}

/** The user's layer (its rules and the cooldown), the IP's (only with a client IP, counted as the Redis limiter counts it), the global one; empty ones left out. */
function layersOf(request: RateRequest, rules: readonly RateRule[]): Layer[] {
  const layer = (scope: RateRule['scope'], subject: string, cooldownOf?: string): Layer => ({
    ...(cooldownOf === undefined ? {} : { cooldownOf }),
    windows: rules.filter((rule) => rule.scope === scope).map((rule) => ({ rule, key: `${rule.name}:${subject}` })),
    refusalsKey: `${scope}:${subject}`,
  });
  const layers = [layer('user', request.userId, request.userId)];
  // No IP, no per-IP limit; an address counts as the Redis limiter counts it (IPv6 per /64, the default).
  if (request.clientIp !== undefined) layers.push(layer('ip', clientIpKey(request.clientIp, 64)));
  layers.push(layer('global', '*'));
  return layers.filter((each) => each.cooldownOf !== undefined || each.windows.length > 0);
}
