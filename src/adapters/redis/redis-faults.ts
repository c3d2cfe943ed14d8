import { ReplyError } from 'ioredis';
import { ScriptReplyError } from './scripts/script-reply.js';

/**
 * Whether a failed Redis call may succeed if tried again: a lost or refused connection, a timeout,
 * a failover or a loading server may; a reply that does not fit its script's decoder, or an error
 * Redis gives every time (a key of the wrong type, a command the user may not run, a script error),
 * will not, and waiting on it only delays the report.
 */
export function isTransientRedisFault(error: unknown): boolean {
  if (error instanceof ScriptReplyError) return false;
  return !(error instanceof ReplyError && PERMANENT_REPLY.test((error as Error).message));
}

/** Redis's error prefixes that name the request, not the moment. */
const PERMANENT_REPLY = /^(WRONGTYPE|NOPERM|ERR)\b/;
