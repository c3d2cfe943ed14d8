import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxBacklog } from '../../../src/adapters/otel/reset-metrics.js';
import { setUpTelemetry, type Telemetry } from '../../../src/app/telemetry.js';

describe('the gauges on /metrics', () => {
  let telemetry: Telemetry | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await telemetry?.shutdown();
    telemetry = undefined;
    server = undefined;
  });

  it('drops a backlog gauge whose source cannot be read now, instead of showing its last value: the absent-series alert then fires', async () => {
    telemetry = setUpTelemetry({ serviceName: 'resetd', tracing: { exporter: 'none', protocol: 'http/protobuf', exportBatchSize: 512 } });
    let backlog: InboxBacklog | undefined = { pending: 3, oldestAgeSeconds: 6.5 };
    telemetry.metrics.observe({ messagesInFlight: () => 0, breakerState: () => 0, inboxBacklog: async () => backlog, readiness: () => [] });
    server = createServer(telemetry.serveMetrics);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const scrape = async () => (await fetch(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/metrics`)).text();

    expect(await scrape()).toMatch(/^resetd_inbox_oldest_message_age_seconds 6\.5$/m);
    backlog = undefined; // NATS away: JetStream cannot say
    const during = await scrape();
    expect(during).not.toMatch(/^resetd_inbox_oldest_message_age_seconds /m);
    expect(during).not.toMatch(/^resetd_consumer_pending /m);
    expect(during).toMatch(/^resetd_messages_in_flight 0$/m);
    backlog = { pending: 0, oldestAgeSeconds: 0 };
    expect(await scrape()).toMatch(/^resetd_inbox_oldest_message_age_seconds 0$/m);
  });
});
