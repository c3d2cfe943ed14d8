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
    ['not a url user:s3cret@host', 'not a url user:***@host'],
    ['//user:s3cret@host:1', '//user:***@host:1'],
    // Unencoded, these end the host part early, so the URL does not parse: the mask must not care.
    ['redis://:Zm9v/YmFyQmF6+Q==@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['nats://rt:Leak/Secret2@127.0.0.1:4222', 'nats://rt:***@127.0.0.1:4222'],
    ['redis://:a#b?c@d:e%f+g=h@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['nats://to/ken#@host', 'nats://***@host'],
    ['rt:s3cret@127.0.0.1:4222', 'rt:***@127.0.0.1:4222'],
    ['redis://127.0.0.1:6379?password=s3cret&db=2', 'redis://127.0.0.1:6379?password=***&db=2'],
    ['https://collector.test:4318/v1/traces', 'https://collector.test:4318/v1/traces'],
    // A secret in the query, whatever the service calls it.
    ['https://otlp.test/v1/traces?api_key=A&dd-api-key=B&access_token=C&client_secret=D&sig=E&region=eu', 'https://otlp.test/v1/traces?api_key=***&dd-api-key=***&access_token=***&client_secret=***&sig=***&region=eu'],
    ['https://otlp.test/v1/traces?pw=A&jwt=B&credential=C&session=D#access_token=E', 'https://otlp.test/v1/traces?pw=***&jwt=***&credential=***&session=***#access_token=***'],
    ['redis://127.0.0.1:6379?password=s3;db=2', 'redis://127.0.0.1:6379?password=***;db=2'],
  ])('%s → %s', (raw, masked) => {
    expect(maskUrl(raw)).toBe(masked);
  });
});
