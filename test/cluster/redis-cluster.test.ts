import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import { RedisClusterGroup } from '../support/clusters.js';
import { ClusterWorld } from '../support/cluster-world.js';
import { NatsServer } from '../support/processes.js';
import { msUntil, redeliveryReasons, requestsThroughNodeLoss, WHOLE_FLOW_ENV, wholeFlow } from '../support/cluster-scenarios.js';

describe('on a Redis Cluster of three masters and three replicas', () => {
  let world: ClusterWorld<NatsServer, RedisClusterGroup>;
  let redis: Cluster;

  beforeAll(async () => {
    world = await ClusterWorld.start({ label: 'rcluster', nats: () => NatsServer.start(), redis: () => RedisClusterGroup.start({ nodeTimeoutMs: 2_000 }) });
    redis = world.redis.client();
  });

  afterAll(async () => {
    await redis?.quit().catch(() => undefined);
    await world?.close();
  });

  it('runs the whole flow as on one server: mail, wrong and right codes, cooldown, supersede, 20 parallel wrong codes get 5 tries', async () => {
    const service = await world.startService(WHOLE_FLOW_ENV);
    await world.watchEvents();
    try {
      await wholeFlow(world, 'rc');
    } finally {
      await service.stop();
    }
    expect(service.output.filter((line) => /CROSSSLOT|message will be redelivered/.test(line))).toEqual([]);
  });

  it('holds the layered limits as one server does; a refusal at the global layer leaves the user and IP windows as they were', async () => {
    const keyPrefix = `${world.prefix}-limits`;
    const service = await world.startService({
      REDIS_KEY_PREFIX: keyPrefix,
      RESET_COOLDOWN_SECONDS: '0',
      RATE_USER_PER_HOUR: '2',
      RATE_IP_PER_HOUR: '3',
      RATE_GLOBAL_PER_HOUR: '6',
    });
    await world.watchEvents();
    const outcome = async (userId: string, clientIp: string) => {
      const resetId = await world.client.requestReset({ userId, email: `${userId}@example.com`, clientIp });
      await world.client.waitForEvents((events) => events.some((e) => e.data.resetId === resetId && e.type !== 'reset.requested'));
      const event = world.client.eventsFor(resetId)[0]!;
      return { resetId, type: event.type, detail: String(event.data.detail ?? '') };
    };
    try {
      // Per user: the third request of u-l1 is refused by user-hour (and reserves nothing further on).
      const user = [await outcome('u-l1', '198.51.100.1'), await outcome('u-l1', '198.51.100.1'), await outcome('u-l1', '198.51.100.1')];
      expect(user.map((each) => each.type)).toEqual(['reset.code.sent', 'reset.code.sent', 'reset.rejected']);
      expect(user[2]!.detail).toContain('user-hour');
      // Per IP: four users behind one address, the fourth refused by ip-hour.
      const ip = [];
      for (const userId of ['u-l2', 'u-l3', 'u-l4', 'u-l5']) ip.push(await outcome(userId, '198.51.100.2'));
      expect(ip.map((each) => each.type)).toEqual(['reset.code.sent', 'reset.code.sent', 'reset.code.sent', 'reset.rejected']);
      expect(ip[3]!.detail).toContain('ip-hour');
      // Globally: 5 admitted so far, the 6th fills the window, the 7th is refused by global-hour.
      expect((await outcome('u-l6', '198.51.100.3')).type).toBe('reset.code.sent');
      const global = await outcome('u-l7', '198.51.100.4');
      expect(global).toMatchObject({ type: 'reset.rejected' });
      expect(global.detail).toContain('global-hour');
    } finally {
      await service.stop();
    }

    const key = (suffix: string) => `${keyPrefix}:${suffix}`;
    // The three layers live in three different slots.
    const slots = await Promise.all(['user:{u-l1}:rl:user-hour', 'ip:{198.51.100.2}:rl:ip-hour', 'global:{global}:rl:global-hour'].map((suffix) => redis.cluster('KEYSLOT', key(suffix))));
    expect(new Set(slots).size).toBe(3);
    // What each layer counted: the refused requests spent nothing anywhere.
    expect(await redis.zcard(key('user:{u-l1}:rl:user-hour'))).toBe(2);
    expect(await redis.zcard(key('ip:{198.51.100.1}:rl:ip-hour'))).toBe(2);
    expect(await redis.zcard(key('ip:{198.51.100.2}:rl:ip-hour'))).toBe(3);
    expect(await redis.zcard(key('user:{u-l5}:rl:user-hour'))).toBe(0);
    expect(await redis.zcard(key('global:{global}:rl:global-hour'))).toBe(6);
    // Refused at the global layer after the user and IP layers had reserved: both released.
    expect(await redis.exists(key('user:{u-l7}:rl:user-hour'), key('user:{u-l7}:rl:user-day'), key('user:{u-l7}:cooldown'))).toBe(0);
    expect(await redis.zcard(key('ip:{198.51.100.4}:rl:ip-hour'))).toBe(0);
  });

  it('loses no request when the master holding the global limits is killed mid-run: its replica takes over, every request gets one outcome', async () => {
    const keyPrefix = `${world.prefix}-kill`;
    await Promise.all([world.startService({ REDIS_KEY_PREFIX: keyPrefix }), world.startService({ REDIS_KEY_PREFIX: keyPrefix })]);
    world.sink.setReplyDelay(20);
    const globalKey = `${keyPrefix}:global:{global}:rl:global-hour`;
    const master = await world.redis.masterOf(globalKey);
    let promotion: Promise<number> | undefined;
    const result = await requestsThroughNodeLoss(world, {
      count: 300,
      spacingMs: 15,
      killAfterMails: 60,
      kill: async () => {
        await master.stop('SIGKILL');
        promotion = msUntil(async () => (await world.redis.masterOf(globalKey)).port !== master.port);
      },
      timeoutMs: 120_000,
      from: 1_000,
    });
    const failoverMs = await promotion!;
    // The replica is master now, and the killed node comes back as a replica.
    const promoted = await world.redis.masterOf(`${keyPrefix}:global:{global}:rl:global-hour`);
    expect(promoted.port).not.toBe(master.port);
    await master.start();
    await world.redis.waitUntilHealthy();
    expect(await world.redis.roleOf(master)).toBe('slave');
    console.info(
      `Redis Cluster master killed after ${result.mailsBeforeKill} mails, replica master within ${failoverMs} ms: ` +
        `300 requests answered once each in ${result.elapsedMs} ms, ` +
        `${result.duplicateMails} duplicate mails; redeliveries: ${redeliveryReasons(world)}`,
    );
    expect(result.duplicateMails).toBe(0);
  });
});
