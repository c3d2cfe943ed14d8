import type { ResetEvent } from '../../domain/events.js';
import type { ResetRecord, ResetState } from '../../domain/reset-record.js';

const numberOf = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

/**
 * Reads a reset's hash (as HGETALL returns it) into a record, or undefined when there is none.
 * The lease (`owner`, `leaseUntil`), the submission counter `n` and the answers `s:*` stay behind.
 */
export function toResetRecord(fields: Record<string, string>): ResetRecord | undefined {
  const { resetId, state } = fields;
  if (resetId === undefined || state === undefined) return undefined;
  return {
    resetId,
    userId: fields.userId ?? '',
    state: state as ResetState,
    digest: fields.digest,
    keyId: fields.keyId,
    expiresAt: numberOf(fields.expiresAt),
    triesLeft: numberOf(fields.triesLeft),
    issuedAt: numberOf(fields.issuedAt),
    mailAttempts: numberOf(fields.mailAttempts),
    outcome: fields.outcome === undefined ? undefined : (JSON.parse(fields.outcome) as ResetEvent),
  };
}

/** HGETALL as a script returns it: field, value, field, value… */
export function pairsToFields(pairs: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[pairs[i] as string] = pairs[i + 1] as string;
  return fields;
}
