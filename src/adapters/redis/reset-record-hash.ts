import { z } from 'zod';
import type { ResetRecord } from '../../domain/reset-record.js';
import { hashPairs, storedOutcome } from './scripts/script-reply.js';

/** An instant or count as the scripts write it (`%d`). */
const integer = z.string().regex(/^-?\d+$/).transform(Number);

const ofReset = { resetId: z.string(), userId: z.string().default(''), outcome: storedOutcome.optional() };
const ofCode = {
  ...ofReset,
  keyId: z.string(),
  expiresAt: integer,
  triesLeft: integer,
  issuedAt: integer,
  mailAttempts: integer,
  unmailed: z.literal('1').transform(() => true).optional(),
};

/**
 * A reset's hash as Redis keeps it, told apart by `state`. The lease (`owner`, `leaseUntil`), the
 * submission counter `n` and the answers `s:*` are the scripts' own and stay behind.
 */
const resetHash: z.ZodType<ResetRecord, Record<string, string>> = z.union([
  z.object({ ...ofCode, state: z.enum(['issued', 'sent']), digest: z.string() }),
  z.object({ ...ofCode, state: z.enum(['completed', 'locked', 'superseded', 'failed']), digest: z.string().optional() }),
  z.object({ ...ofReset, state: z.literal('rejected'), outcome: storedOutcome }),
]);

/** Reads a reset's hash (as HGETALL returns it) into a record, or undefined when there is none. */
export function toResetRecord(fields: Record<string, string>): ResetRecord | undefined {
  if (fields.resetId === undefined || fields.state === undefined) return undefined;
  return resetHash.parse(fields);
}

/** A reset's hash as a script returns it (HGETALL's field, value… list), for a reply that carries it. */
export const resetRecordPairs = hashPairs.pipe(resetHash);
