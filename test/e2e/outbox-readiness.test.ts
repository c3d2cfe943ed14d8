import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { opsGet } from '../support/ops-http.js';
import { freePort } from '../support/processes.js';
import { ServiceProcess } from '../support/service-process.js';

/**
 * The outbox's directory going away after the start (removed, a disk full): mail fails, the
 * breaker opens, /readyz says so; once the directory takes files again, /readyz follows with no
 * mail left to probe it, as it does for an SMTP server that comes back.
 */
describe('the outbox, when its directory stops taking mail after the start', () => {
  const prefix = uniquePrefix('outboxready');
  let root: string;
  let client: TestClient;
  let service: ServiceProcess;
  let port: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'resetd-outbox-ready-'));
    client = await TestClient.connect(prefix);
    port = await freePort();
    service = await ServiceProcess.start({
      RESET_SUBJECT_PREFIX: prefix,
      REDIS_KEY_PREFIX: prefix,
      MAIL_OUTBOX_DIR: join(root, 'outbox'),
      OPS_HTTP_PORT: String(port),
      OPS_HTTP_HOST: '127.0.0.1',
      // Each failed request ends soon, so nothing is left to be mailed once the breaker is open.
      SMTP_RETRY_BUDGET_SECONDS: '1',
      SMTP_BREAKER_THRESHOLD: '2',
    });
    await client.watchEvents();
  });

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await client.close();
    await rm(root, { recursive: true, force: true });
  });

  it('fails /readyz while writes fail, and passes again once the directory is back, with no mail to probe it', async () => {
    const outbox = join(root, 'outbox');
    await rm(outbox, { recursive: true, force: true });
    await writeFile(outbox, 'a file where the directory was');

    const failed = await Promise.all(['a', 'b'].map((name) => client.requestReset({ userId: `u-${name}`, email: `${name}@example.com` })));
    for (const resetId of failed) await client.waitForEvent(resetId, 'reset.delivery.failed', 30_000);
    const unready = await opsGet(port, '/readyz');
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.body)).toMatchObject({ failing: ['smtp'], reasons: { smtp: expect.stringMatching(/^the outbox circuit breaker is (open|half-open): writes to MAIL_OUTBOX_DIR failed in a row$/) } });

    await rm(outbox, { force: true });
    await mkdir(outbox);
    await waitFor(async () => (await opsGet(port, '/readyz')).status === 200, 20_000);
  });
});
