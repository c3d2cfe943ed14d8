import type { Redis } from 'ioredis';

/** A Lua script that runs as one atomic step; `numberOfKeys` unset means the caller passes it first. */
export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys?: number;
  readonly lua: string;
}

/** Registers the scripts as commands on the client: ioredis sends EVALSHA and falls back to EVAL. */
export function defineScripts(redis: Redis, scripts: readonly LuaScript[]): void {
  for (const script of scripts) {
    redis.defineCommand(script.name, { lua: script.lua, numberOfKeys: script.numberOfKeys });
  }
}
