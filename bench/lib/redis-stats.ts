import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';

/** Calls per command from `INFO commandstats`; a script's own calls (`redis.call`) are counted too. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/** The calls made between two readings, by command, largest first. */
export function callsBetween(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([name, calls]) => [name, calls - (before.get(name) ?? 0)] as [string, number])
    .filter(([name, calls]) => calls > 0 && !name.startsWith('info') && !name.startsWith('monitor'))
    .sort((a, b) => b[1] - a[1]);
}

/** `total_reads_processed`: how many times the server read from a client socket, a round trip each when one client waits for each reply. */
export async function readsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/^total_reads_processed:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/** SHA1 → script name for every Lua script resetd defines, to name the EVALSHA calls MONITOR sees. */
export async function scriptNames(scriptsDir: URL): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const file of readdirSync(scriptsDir).filter((name) => name.endsWith('-script.js'))) {
    const module = (await import(pathToFileURL(new URL(file, scriptsDir).pathname).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const script = value as { name?: unknown; lua?: unknown };
      if (typeof script?.lua === 'string' && typeof script.name === 'string') {
        names.set(createHash('sha1').update(script.lua).digest('hex'), script.name);
      }
    }
  }
  return names;
}

/**
 * Commands an instance sends on a timer whatever its load, each a round trip of its own: the
 * readiness probe's PING (every 0.5 s) and the owed events' LRANGE (every 5 s). Not a reset's.
 */
const BACKGROUND = new Set(['ping', 'lrange']);

/**
 * Commands clients sent (not those scripts ran), as MONITOR shows them, by name; EVALSHA by script;
 * background ones apart, and only those between the first two `INFO` commands (the readings of
 * `readsProcessed` around a measure), as MONITOR lists commands in the order the server ran them.
 */
export class CommandLog {
  readonly sent = new Map<string, number>();
  readonly background = new Map<string, number>();
  private infos = 0;
  private stop: (() => void) | undefined;

  constructor(private readonly scripts: Map<string, string>) {}

  async start(redis: Redis): Promise<void> {
    const monitor = await redis.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === 'lua' || args.length === 0) return;
      let name = args[0]!.toLowerCase();
      if (name === 'info') this.infos += 1;
      if (name === 'info' || name === 'monitor') return;
      if (name === 'evalsha' || name === 'eval') name = `${name} ${this.scripts.get(args[1] ?? '') ?? '(script)'}`;
      if (!BACKGROUND.has(name)) this.sent.set(name, (this.sent.get(name) ?? 0) + 1);
      else if (this.infos === 1) this.background.set(name, (this.background.get(name) ?? 0) + 1);
    });
    this.stop = () => monitor.disconnect();
  }

  finish(): void {
    this.stop?.();
  }

  get total(): number {
    return sumOf(this.sent);
  }

  get backgroundTotal(): number {
    return sumOf(this.background);
  }
}

function sumOf(calls: Map<string, number>): number {
  let sum = 0;
  for (const each of calls.values()) sum += each;
  return sum;
}
