import { describe, expect, it } from 'vitest';
import { measureRequestPath } from '../../../bench/lib/request-path.js';

// The harness wires the request path as the composition root does, with the servers faked: it
// must keep up with how the adapters talk to them (it nak'ed every request once the scripts went
// out as EVALSHA commands of resetd's own, and no one noticed until it was run).
describe('the request-path harness (bench/request-path.ts)', () => {
  it('routes every request to an ack, and measures it', async () => {
    const cost = await measureRequestPath({ n: 200, warmUp: 50, signing: true, tracing: false });
    expect(cost.cpuMicros).toBeGreaterThan(0);
    expect(cost.spansPerRequest).toBe(0);
  });

  it('with tracing on, records the spans of one reset per request', async () => {
    const cost = await measureRequestPath({ n: 200, warmUp: 50, signing: false, tracing: true });
    // process, seven Redis commands, smtp send, send reset.code.sent (docs/operations.md#tracing)
    expect(cost.spansPerRequest).toBe(10);
  });
});
