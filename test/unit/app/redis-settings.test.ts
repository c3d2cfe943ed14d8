import { describe, expect, it } from 'vitest';
import { redisSettingsProblems } from '../../../src/app/redis-settings.js';

const info = (fields: Record<string, string>) => `# Memory\r\n${Object.entries(fields).map(([name, value]) => `${name}:${value}\r\n`).join('')}`;

describe('the Redis settings that would lose resetd’s state', () => {
  it('finds nothing wrong with no maxmemory, or with noeviction, and an AOF', () => {
    expect(redisSettingsProblems(info({ maxmemory: '0', maxmemory_policy: 'allkeys-lru', aof_enabled: '1' }), true)).toEqual([]);
    expect(redisSettingsProblems(info({ maxmemory: '104857600', maxmemory_policy: 'noeviction', aof_enabled: '1' }), true)).toEqual([]);
  });

  it('names eviction under maxmemory, whatever the policy, since every key of resetd’s has a TTL', () => {
    for (const policy of ['allkeys-lru', 'volatile-ttl', 'volatile-lru']) {
      expect(redisSettingsProblems(info({ maxmemory: '104857600', maxmemory_policy: policy, aof_enabled: '1' }), false)).toEqual([
        expect.stringMatching(new RegExp(`^Redis evicts keys when it reaches maxmemory \\(104857600 bytes, maxmemory-policy ${policy}\\).*set maxmemory-policy noeviction`)),
      ]);
    }
  });

  it('names a missing append-only file in production only', () => {
    expect(redisSettingsProblems(info({ maxmemory: '0', aof_enabled: '0' }), true)).toEqual([expect.stringMatching(/^Redis keeps no append-only file \(appendonly no\)/)]);
    expect(redisSettingsProblems(info({ maxmemory: '0', aof_enabled: '0' }), false)).toEqual([]);
  });
});
