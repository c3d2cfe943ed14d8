import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/app/config.js';
import { ConfigError } from '../../../src/adapters/environment/config-error.js';

const configFrom = (env: Record<string, string>) => loadConfig({ OTP_SECRET: 'a-test-secret-of-at-least-thirty-two-chars', ...env });

describe('where Redis is', () => {
  it('is the one server of REDIS_URL by default', () => {
    expect(configFrom({}).redisTopology).toEqual({ kind: 'single' });
  });

  it('is a Redis Cluster with REDIS_CLUSTER_NODES, IPv6 hosts in brackets', () => {
    expect(configFrom({ REDIS_CLUSTER_NODES: 'redis-0.redis:6379, 10.0.0.2:7001,[::1]:7002' }).redisTopology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0.redis', port: 6379 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  it('is the master a Sentinel group names with REDIS_SENTINELS, by REDIS_SENTINEL_NAME (default mymaster)', () => {
    expect(configFrom({ REDIS_SENTINELS: 's1:26379,s2:26379' }).redisTopology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
    });
    expect(configFrom({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'resetd' }).redisTopology).toMatchObject({ name: 'resetd' });
  });

  it('stops the start with one line naming the variable for a bad list, or for both modes at once', () => {
    expect(() => configFrom({ REDIS_CLUSTER_NODES: 'redis-0' })).toThrow(/^REDIS_CLUSTER_NODES must list host:port, comma-separated: "redis-0" is not host:port/);
    expect(() => configFrom({ REDIS_SENTINELS: 's1:99999' })).toThrow(/^REDIS_SENTINELS must list host:port/);
    expect(() => configFrom({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toThrow(ConfigError);
    expect(() => configFrom({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).toThrow('REDIS_CLUSTER_NODES and REDIS_SENTINELS are both set; set one');
  });
});
