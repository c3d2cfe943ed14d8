import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../support/cli.js';
import { RedisSentinelGroup, redisCli } from '../support/clusters.js';
import { ClusterWorld } from '../support/cluster-world.js';
import { codeIn } from '../support/mail-code.js';
import { NatsServer } from '../support/processes.js';
import { msUntil, redeliveryReasons, requestsThroughNodeLoss, WHOLE_FLOW_ENV, wholeFlow } from '../support/cluster-scenarios.js';

describe('through Redis Sentinel: one master, one replica, three Sentinels', () => {
  let world: ClusterWorld<NatsServer, RedisSentinelGroup>;

  beforeAll(async () => {
    world = await ClusterWorld.start({ label: 'rsentinel', nats: () => NatsServer.start(), redis: () => RedisSentinelGroup.start() });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('runs the whole flow as on one server: mail, wrong and right codes, cooldown, supersede, 20 parallel wrong codes get 5 tries', async () => {
    const service = await world.startService(WHOLE_FLOW_ENV);
    await world.watchEvents();
    try {
      await wholeFlow(world, 'rs');
    } finally {
      await service.stop();
    }
  });

  it('`resetd status` and the demo reach Redis through the Sentinels, as the service does, not REDIS_URL\'s host', async () => {
    // REDIS_URL names a port nothing listens on: only the Sentinels lead to the master.
    const env = cliEnv(world.prefix, { NATS_URL: world.nats.url, REDIS_URL: 'redis://127.0.0.1:1', ...world.redis.serviceEnv() });
    const status = await runCli(['status'], env);
    expect(status.stdout, status.stderr).toMatch(/^redis\s+master \S+ of the Sentinels at \S+\s+reachable, version 7/m);

    const demo = await runCli(['demo'], env);
    expect(demo.code, demo.stdout + demo.stderr).toBe(0);
    const prefix = /subject prefix (demo[0-9a-f]{8})/.exec(demo.stdout)![1]!;
    // Its keys were deleted where they were written.
    expect(await redisCli(['-p', String(await world.redis.masterPort()), '--scan', '--pattern', `${prefix}:*`], 5_000)).toBe('');
  });

  it('loses no request when the master is killed mid-run: the Sentinels promote the replica, every request gets one outcome', async () => {
    const service = await world.startService();
    world.sink.setReplyDelay(20);
    const before = await world.redis.masterPort();
    expect(before).toBe(world.redis.master.port);
    let promotion: Promise<number> | undefined;
    const result = await requestsThroughNodeLoss(world, {
      count: 300,
      spacingMs: 15,
      killAfterMails: 60,
      kill: async () => {
        await world.redis.master.stop('SIGKILL');
        promotion = msUntil(async () => (await world.redis.masterPort()) === world.redis.replica.port);
      },
      timeoutMs: 120_000,
      from: 1_000,
    });
    const failoverMs = await promotion!;
    expect(await world.redis.masterPort()).toBe(world.redis.replica.port);

    // The service works on the new master: a code mailed before the failover still verifies.
    const code = codeIn(world.sink.mailsTo(world.email(1_299))[0]!.text ?? '');
    expect(await world.client.verify({ resetId: result.ids[299], code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    console.info(
      `Sentinel: master killed after ${result.mailsBeforeKill} mails, replica promoted within ${failoverMs} ms: ` +
        `300 requests answered once each in ${result.elapsedMs} ms, ` +
        `${result.duplicateMails} duplicate mails; redeliveries: ${redeliveryReasons(world)}; ` +
        `${service.output.filter((line) => /Redis connection (lost|regained)/.test(line)).length} connection lines`,
    );
    expect(result.duplicateMails).toBe(0);
  });
});
