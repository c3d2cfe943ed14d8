import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaScript, runScript } from '../../src/adapters/redis/scripts/lua-script.js';
import { RedisServer } from '../support/processes.js';

const echo = luaScript('resetdTestEcho', `return {KEYS[1], ARGV[1], ARGV[2]}`);
const joined = (reply: unknown) => (reply as string[]).join(',');

/** How often the server has run each command since it started (INFO commandstats). */
async function calls(admin: Redis, command: 'eval' | 'evalsha'): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

// A server of its own: SCRIPT FLUSH and the command counts must not meet other tests.
describe('runScript', () => {
  let server: RedisServer;
  let client: Redis;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin = new Redis(server.url);
  });

  afterAll(async () => {
    client.disconnect();
    admin.disconnect();
    await server.close();
  });

  it('sends a script whole only while the server does not know it, then by its digest', async () => {
    expect(await runScript(client, echo, ['k'], ['a', 7], joined)).toBe('k,a,7');
    expect(await runScript(client, echo, ['k'], ['b', 8], joined)).toBe('k,b,8');
    expect({ eval: await calls(admin, 'eval'), evalsha: await calls(admin, 'evalsha') }).toEqual({ eval: 1, evalsha: 2 });
  });

  it('runs a script the server forgot (restarted, failed over, flushed), once whole again', async () => {
    await admin.script('FLUSH');
    const before = await calls(admin, 'eval');
    // The reply of the script sent whole is decoded as the reply by digest would have been.
    const replies = await Promise.all([runScript(client, echo, ['k'], ['c', 1], joined), runScript(client, echo, ['k'], ['d', 2], joined)]);
    expect(replies).toEqual(['k,c,1', 'k,d,2']);
    // Each call that found it unknown sends it whole; the server keeps one copy.
    expect((await calls(admin, 'eval')) - before).toBe(2);
    expect(await admin.script('EXISTS', echo.sha)).toEqual([1]);
  });

  it('passes a script error on as it is, without sending the script again', async () => {
    const failing = luaScript('resetdTestFail', `return redis.error_reply('ERR resetd test')`);
    await expect(runScript(client, failing, [], [], joined)).rejects.toThrow('ERR resetd test');
    await expect(runScript(client, failing, [], [], joined)).rejects.toThrow('ERR resetd test');
    expect(await admin.script('EXISTS', failing.sha)).toEqual([1]);
  });
});
