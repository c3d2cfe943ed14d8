import { describe, expect, it } from 'vitest';
import { maskUrl } from '../../../src/contract/mask-url.js';

describe('maskUrl', () => {
  it.each([
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['rediss://resetd:s3cret@redis.test:6380/2', 'rediss://resetd:***@redis.test:6380/2'],
    ['smtp://mailer:p%40ss@mail.test:587', 'smtp://mailer:***@mail.test:587'],
    // A NATS token is written where a user name would be: it is masked whole.
    ['nats://s3cret-token@127.0.0.1:4222', 'nats://***@127.0.0.1:4222'],
    ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4222'],
    ['not a url user:s3cret@host', 'not a url user:s3cret@host'],
    ['//user:s3cret@host:1', '//user:***@host:1'],
  ])('%s → %s', (raw, masked) => {
    expect(maskUrl(raw)).toBe(masked);
  });
});
