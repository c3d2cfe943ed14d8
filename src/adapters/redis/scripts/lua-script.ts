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

/** Registers the scripts as commands on the client: ioredis sends EVALSHA and falls back to EVAL. */
export function defineScripts(redis: RedisClient, scripts: readonly LuaScript[]): void {
  for (const script of scripts) {
    redis.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
}
