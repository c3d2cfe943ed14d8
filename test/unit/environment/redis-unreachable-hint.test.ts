import { describe, expect, it } from 'vitest';
import { redisConnectFailureLine, redisUnreachableHint } from '../../../src/adapters/environment/redis-security.js';

describe('the line for a Redis that cannot be reached', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7000'), { code: 'ECONNREFUSED' });

  it('names the settings of the topology configured, not REDIS_URL for a Cluster or Sentinels', () => {
    expect(redisConnectFailureLine(refused, 'the Cluster at 127.0.0.1:7000', redisUnreachableHint('cluster', 'redis://127.0.0.1:6379'))).toBe(
      'cannot reach Redis at the Cluster at 127.0.0.1:7000: connect ECONNREFUSED 127.0.0.1:7000; check REDIS_CLUSTER_NODES and that the Cluster is running',
    );
    expect(redisUnreachableHint('sentinel', 'redis://127.0.0.1:6379')).toBe('check REDIS_SENTINELS and REDIS_SENTINEL_NAME, and that the Sentinels are running');
    expect(redisUnreachableHint('single', 'redis://127.0.0.1:6379')).toBe('check REDIS_URL and that redis-server is running');
  });

  it("names a command line's own option for REDIS_URL", () => {
    expect(redisUnreachableHint('single', 'redis://127.0.0.1:6379', '--redis')).toBe('check REDIS_URL (or --redis) and that redis-server is running');
  });

  it('says, with rediss://, that a server speaking no TLS never answers: the timeout is not a missing server', () => {
    expect(redisUnreachableHint('single', 'rediss://127.0.0.1:6379')).toBe(
      'check REDIS_URL and that redis-server is running; with rediss:// a server that does not speak TLS never answers: use redis:// for a plain one',
    );
  });
});
