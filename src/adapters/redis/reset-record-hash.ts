import { z } from 'zod';
import type { ResetRecord } from '../../domain/reset-record.js';
import { hashPairs, storedOutcome } from './scripts/script-reply.js';

/** An instant or count as the scripts write it (`%d`). */
const integer = z.string().regex(/^-?\d+$/).transform(Number);

/**
 * A reset's hash as Redis keeps it. The lease (`owner`, `leaseUntil`), the submission counter `n`
 * and the answers `s:*` are the scripts' own and stay behind.
 */
const resetHash = z.object({
  resetId: z.string(),
  userId: z.string().default(''),
  state: z.enum(['issued', 'sent', 'completed', 'locked', 'superseded', 'rejected', 'failed']),
  digest: z.string().optional(),
  keyId: z.string().optional(),
  expiresAt: integer.optional(),
  triesLeft: integer.optional(),
  issuedAt: integer.optional(),
  mailAttempts: integer.optional(),
  outcome: storedOutcome.optional(),
});

/** Reads a reset's hash (as HGETALL returns it) into a record, or undefined when there is none. */
export function toResetRecord(fields: Record<string, string>): ResetRecord | undefined {
  if (fields.resetId === undefined || fields.state === undefined) return undefined;
  return resetHash.parse(fields);
}

/** A reset's hash as a script returns it (HGETALL's field, value… list), for a reply that carries it. */
export const resetRecordPairs = hashPairs.pipe(resetHash);
