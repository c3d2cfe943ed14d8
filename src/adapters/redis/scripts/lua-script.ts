import type { RedisClient } from '../redis-client.js';

/**
 * A Lua script that runs as one atomic step on the keys of one hash slot (Redis Cluster refuses any
 * other); `numberOfKeys` unset means the caller passes it first.
 */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys?: number;
  readonly lua: string;
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

/** Registers the scripts as commands on the client: ioredis sends EVALSHA and falls back to EVAL. */
export function defineScripts(redis: RedisClient, scripts: readonly LuaScript[]): void {
  for (const script of scripts) {
    redis.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
}
