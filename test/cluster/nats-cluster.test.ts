import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsCluster } from '../support/clusters.js';
import { ClusterWorld, singleRedis, type RedisBackend } from '../support/cluster-world.js';
import { codeIn } from '../support/mail-code.js';
import { RedisServer } from '../support/processes.js';
import { msUntil, redeliveryReasons, requestsThroughNodeLoss } from '../support/cluster-scenarios.js';
import { setTimeout as sleep } from 'node:timers/promises';

describe('on a three-node NATS cluster, streams with three replicas', () => {
  let world: ClusterWorld<NatsCluster, RedisBackend>;

  beforeAll(async () => {
    world = await ClusterWorld.start({
      label: 'ncluster',
      nats: () => NatsCluster.start(3),
      redis: async () => singleRedis(await RedisServer.start({ persistent: true })),
    });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('two instances serve 500 requests while the node leading the inbox stream is killed and restarted: one outcome each, none lost', async () => {
    // A short ack wait, so a message whose ack went to the dead node comes back within the test.
    const env = { RESET_STREAM_REPLICAS: '3', RESET_ACK_WAIT_SECONDS: '10' };
    // Started together, as a Deployment's pods are: both make the streams at once.
    const services = await Promise.all([world.startService(env), world.startService(env)]);
    world.sink.setReplyDelay(20);
    const inbox = world.client.subjects.inboxStream;
    const before = await world.nats.streamCluster(inbox);
    expect(before.replicas).toHaveLength(2);
    const events = await world.nats.streamCluster(world.client.subjects.eventsStream);
    expect(events.replicas).toHaveLength(2);

    let killed = '';
    let elected: Promise<number> | undefined;
    const result = await requestsThroughNodeLoss(world, {
      count: 500,
      // Published over 15 s, so that requests still arrive after the election (6-9 s): a loaded
      // machine may start one instance's pulls late, and a backlog the other drains at once would
      // leave it nothing to show that it serves.
      spacingMs: 30,
      killAfterMails: 100,
      kill: async () => {
        killed = (await world.nats.streamCluster(inbox)).leader;
        await world.nats.node(killed).stop('SIGKILL');
        elected = msUntil(async () => ![killed, ''].includes((await world.nats.streamCluster(inbox, 500)).leader));
        // Restarted while the rest of the requests are published and served.
        void sleep(5_000).then(() => world.nats.node(killed).start());
      },
      timeoutMs: 180_000,
    });
    const electionMs = await elected!;

    const after = await world.nats.streamCluster(inbox);
    expect(after.leader).not.toBe(killed);
    expect(after.leader).not.toBe('');
    // The restarted node caught up and is a current replica again.
    await expect.poll(async () => (await world.nats.streamCluster(inbox)).replicas.every((peer) => peer.current), { timeout: 30_000, interval: 500 }).toBe(true);

    // Both instances served, and reset.verify answers through the cluster.
    // The audit trail (stdout) has one line per outcome: both instances did their share.
    const served = services.map((service) => service.output.filter((line) => /"audit":true/.test(line) && /reset\.code\.sent/.test(line)).length);
    const said = services.map((service, i) => `service ${i} served ${served[i]}; its last lines:\n${service.output.slice(-10).join('\n')}`).join('\n');
    expect(served.every((count) => count > 0), said).toBe(true);
    const code = codeIn(world.sink.mailsTo(world.email(499))[0]!.text ?? '');
    expect(await world.client.verify({ resetId: result.ids[499], code })).toEqual({ status: 'completed', attemptsRemaining: 0 });
    console.info(
      `NATS cluster: leader ${killed} of ${inbox} killed after ${result.mailsBeforeKill} mails, new leader ${after.leader} within ${electionMs} ms; ` +
        `${world.publishRetries} client publishes tried again; ` +
        `500 requests answered once each in ${result.elapsedMs} ms, ${result.duplicateMails} duplicate mails; ` +
        `redeliveries: ${redeliveryReasons(world)}; failed pulls: ${world.logLines(/pulling from the inbox failed/).length}; outcomes per instance ${served.join('/')}`,
    );
    expect(result.duplicateMails).toBe(0);
  });
});
