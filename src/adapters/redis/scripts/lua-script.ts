import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import { inRedisSpan } from '../redis-spans.js';
import type { RedisClient } from '../redis-client.js';

/** A Lua script that runs as one atomic step on the keys of one hash slot (Redis Cluster refuses any other). */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  /** What EVALSHA names it by. */
  readonly sha: string;
}

export function luaScript(name: string, lua: string): LuaScript {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Lua that defines `clockNow(argument)`: the instant in ms from the clock argument
 * (`clockArgument`), or Redis's own clock when it is ''. Prepended to every script that judges time.
 */
export const CLOCK_LUA = `
local function clockNow(pinned)
  if pinned ~= '' then
    return tonumber(pinned)
  end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

/**
 * Runs a script on `keys` with `args` inside its Redis span: EVALSHA, and EVAL once the server says
 * it does not know the script (new, restarted, failed over, or another node of a Cluster). `decode`
 * reads the script's reply (utf8).
 *
 * A command made here, not a command ioredis defines per script: that path copies the arguments
 * twice and adds a closure and a promise per call, about a microsecond each, seven calls a reset.
 * The reply is decoded in the same step that catches NOSCRIPT, not after an await of its own: one
 * promise a script fewer.
 */
export function runScript<T>(
  redis: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
  decode: (reply: unknown) => T,
): Promise<T> {
  return inRedisSpan(redis, { script: script.name }, () =>
    send(redis, 'evalsha', script.sha, keys, args).then(decode, (error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return send(redis, 'eval', script.lua, keys, args).then(decode);
    }),
  );
}

function send(redis: RedisClient, name: 'evalsha' | 'eval', script: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  // Given its arguments, Command flattens them with Array.prototype.flat, which costs about 4 µs for
  // a script's on Node 20, six scripts a reset; so they are given flat, and as the strings Command
  // would make of them. Built by concat and push, not an array literal: V8 allocated such a literal
  // straight in the old generation once it saw commands outlive young collections, and the
  // young collections took twice as long.
  const command = new Command(name, NO_ARGUMENTS, { replyEncoding: 'utf8' });
  const flat = [script, String(keys.length)].concat(keys);
  for (const arg of args) flat.push(typeof arg === 'string' ? arg : String(arg));
  command.args = flat;
  return redis.sendCommand(command) as Promise<unknown>;
}

/** Only read: Command keeps a copy. */
const NO_ARGUMENTS: never[] = [];
