import { z } from 'zod';
import { outboundData, type OutboundType } from '../../../contract/schemas.js';
import type { LuaScript } from './lua-script.js';

/** A script answered with something its decoder does not describe: the script and the adapter disagree. */
export class ScriptReplyError extends Error {
  override readonly name = 'ScriptReplyError';

  constructor(script: string, cause: unknown) {
    super(`Redis script ${script} replied with an unexpected value`, { cause });
  }
}

/** Decodes one script's reply with its schema; throws `ScriptReplyError` when it does not fit. */
export function decodeReply<T>(script: LuaScript, schema: z.ZodType<T>, reply: unknown): T {
  const decoded = schema.safeParse(reply);
  if (!decoded.success) throw new ScriptReplyError(script.name, decoded.error);
  return decoded.data;
}

/** `decodeReply` for one script and schema, as `runScript` takes it; made once per script. */
export const replyDecoder =
  <T>(script: LuaScript, schema: z.ZodType<T>) =>
  (reply: unknown): T =>
    decodeReply(script, schema, reply);

const fact = <N extends OutboundType>(name: N) => z.object({ name: z.literal(name), sequence: z.string(), data: outboundData[name] });

/** Text that a script holds as JSON (an outcome, an answer cjson encoded), parsed for a schema to check. */
export const jsonText = z.string().transform((text, context): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    context.issues.push({ code: 'custom', message: 'not JSON', input: text });
    return z.NEVER;
  }
});

/** An outcome as the scripts keep it: the JSON of a ResetEvent, checked against the wire contract. */
export const storedOutcome = jsonText.pipe(
    z.discriminatedUnion('name', [
      fact('reset.code.sent'),
      fact('reset.rejected'),
      fact('reset.delivery.failed'),
      fact('reset.verification.failed'),
      fact('reset.completed'),
      fact('reset.notice.sent'),
    ]),
  );

/** A hash as HGETALL returns it inside a script: field, value, field, value… */
export const hashPairs = z.array(z.string()).transform((pairs) => {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[pairs[i]!] = pairs[i + 1]!;
  return fields;
});
