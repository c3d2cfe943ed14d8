import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect as natsConnect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, UnverifiedReplyError, type OutboundEvent, type ResetClient, type UnverifiedMessage } from 'resetd/client';
import { generateSigningKeyPair, messageSigner, SIGNATURE_HEADER, SignatureVerifier } from '../../src/contract/message-signature.js';
import { requestDigestOf } from '../../src/contract/request-digest.js';
import { subjectsFor } from '../../src/contract/subjects.js';
import { cliEnv, runCli } from '../support/cli.js';
import { codeIn } from '../support/mail-code.js';
import { NATS_URL, uniquePrefix } from '../support/nats.js';
import { runServiceToExit } from '../support/service-process.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { oneLine } from '../support/secured-deployment.js';

/** Every message of the stream as stored: subject, raw body and signature header. */
async function storedMessages(nc: NatsConnection, stream: string): Promise<Array<{ subject: string; seq: number; body: Uint8Array; signature: string }>> {
  const jsm = await jetstreamManager(nc);
  const count = (await jsm.streams.info(stream)).state.messages;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.fetch({ max_messages: count, expires: 5_000 });
  const stored: Array<{ subject: string; seq: number; body: Uint8Array; signature: string }> = [];
  for await (const msg of messages as AsyncIterable<JsMsg>) {
    stored.push({ subject: msg.subject, seq: msg.seq, body: msg.data, signature: msg.headers?.get(SIGNATURE_HEADER) ?? '' });
    if (stored.length === count) break;
  }
  await consumer.delete().catch(() => undefined);
  return stored;
}

/** Reads the outcome stream from its start until `count` messages were yielded or reported. */
async function readAll(client: ResetClient, count: number): Promise<{ outcomes: OutboundEvent[]; dropped: UnverifiedMessage[] }> {
  const outcomes: OutboundEvent[] = [];
  const dropped: UnverifiedMessage[] = [];
  const seenAll = () => outcomes.length + dropped.length >= count;
  // A dropped message yields nothing to break on: the report itself ends the stream at the count.
  const stream = client.outcomes({ deliver: 'all', onUnverified: (message) => dropped.push(message) === count - outcomes.length && stream.stop() });
  const timer = setTimeout(() => stream.stop(), 15_000);
  for await (const event of stream) {
    outcomes.push(event);
    if (seenAll()) break;
  }
  clearTimeout(timer);
  return { outcomes, dropped };
}

/**
 * Who may say a reset completed: resetd signs every event and every `reset.verify` reply, and a
 * typed client holding its public key reports (and never yields) what resetd did not sign.
 */
describe('signed events and replies', () => {
  const prefix = uniquePrefix('signed');
  const subjects = subjectsFor(prefix);
  const dir = mkdtempSync(join(tmpdir(), 'resetd-signing-'));
  const oldKey = generateSigningKeyPair();
  const newKey = generateSigningKeyPair();
  const keyFile = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  let sink: SmtpSink;
  let service: ServiceProcess | undefined;
  let other: NatsConnection;
  let client: ResetClient;
  let resetId = '';

  const startService = async (key: string) => {
    service = await ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, RESET_SIGNING_KEY_FILE: key });
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    await startService(keyFile('old.key', oldKey.privateKeyPem));
    other = await natsConnect({ servers: NATS_URL });
    client = await connect({ servers: NATS_URL, subjectPrefix: prefix, verifyKeys: [oldKey.publicKeyPem] });
  });

  afterAll(async () => {
    expect(await service?.stop()).toBe(0);
    await client.close();
    const jsm = await jetstreamManager(other);
    for (const stream of [subjects.inboxStream, subjects.eventsStream]) await jsm.streams.delete(stream).catch(() => undefined);
    await other.close();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs every event and every verify reply over the exact body; the reply names its reset', async () => {
    resetId = await client.requestReset({ userId: 'u-signed', email: 'signed@example.com' });
    const code = codeIn((await sink.waitForMail('signed@example.com')).text ?? '');
    const wrong = code === '000000' ? '111111' : '000000';
    const verifier = new SignatureVerifier([oldKey.publicKeyPem]);

    const rawReply = await other.request(subjects.verify, JSON.stringify({ resetId, code: wrong }), { timeout: 10_000 });
    expect(rawReply.json()).toEqual({ resetId, status: 'invalid_code', attemptsRemaining: 4 });
    expect(verifier.check(rawReply.data, rawReply.headers?.get(SIGNATURE_HEADER))).toEqual({ ok: true, kid: oldKey.kid });
    // The same reply with its body changed after signing, as a man in the middle would.
    const changed = new TextEncoder().encode(new TextDecoder().decode(rawReply.data).replace('invalid_code', 'completed'));
    expect(verifier.check(changed, rawReply.headers?.get(SIGNATURE_HEADER)).ok).toBe(false);

    expect(await client.verify(resetId, code)).toEqual({ resetId, status: 'completed', attemptsRemaining: 0 });

    const stored = await storedMessages(other, subjects.eventsStream);
    // code.sent follows the mail's acceptance, so it may land after the wrong code's event.
    expect(stored.map((m) => m.subject).sort()).toEqual([`${prefix}.code.sent`, `${prefix}.completed`, `${prefix}.verification.failed`]);
    for (const message of stored) expect(verifier.check(message.body, message.signature), message.subject).toEqual({ ok: true, kid: oldKey.kid });
  });

  it('reports a forged reset.completed to the typed client as a verification failure, never as an outcome', async () => {
    const [completed] = (await storedMessages(other, subjects.eventsStream)).filter((m) => m.subject === `${prefix}.completed`);
    const forge = (id: string) => ({
      specversion: '1.0', id, source: 'urn:resetd:resetd', type: 'reset.completed', time: new Date().toISOString(),
      datacontenttype: 'application/json', data: { resetId: 'r-victim', userId: 'u-victim', completedAt: new Date().toISOString() },
    });
    const js = jetstream(other);
    const publish = async (id: string, body: Uint8Array, signature?: string) => {
      const h = natsHeaders();
      if (signature !== undefined) h.set(SIGNATURE_HEADER, signature);
      await js.publish(subjects.event('reset.completed'), body, { msgID: id, headers: h });
    };
    const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    // Unsigned; signed with a key of the forger's own; resetd's real signature over a body changed after signing.
    await publish('forged-unsigned', bytes(forge('forged-unsigned')));
    const ownKeyBody = bytes(forge('forged-own-key'));
    await publish('forged-own-key', ownKeyBody, messageSigner(generateSigningKeyPair().privateKeyPem).sign(ownKeyBody));
    const tampered = new TextEncoder().encode(new TextDecoder().decode(completed!.body).replace('"u-signed"', '"u-victim"'));
    await publish('forged-tampered', tampered, completed!.signature);

    const { outcomes, dropped } = await readAll(client, 6);
    expect(outcomes.map((event) => [event.type, event.data.resetId]).sort()).toEqual([
      ['reset.code.sent', resetId],
      ['reset.completed', resetId],
      ['reset.verification.failed', resetId],
    ]);
    expect(dropped.map((message) => [message.subject, message.reason])).toEqual([
      [`${prefix}.completed`, 'no Resetd-Signature header'],
      [`${prefix}.completed`, expect.stringMatching(/^no key with kid /)],
      [`${prefix}.completed`, `the signature does not match the body (kid "${oldKey.kid}")`],
    ]);
  });

  it('takes the signed reply for its reset over a forged one that came first, and throws UnverifiedReplyError when none comes', async () => {
    const rogue = uniquePrefix('rogue');
    const rogueClient = await connect({ servers: NATS_URL, subjectPrefix: rogue, verifyKeys: [oldKey.publicKeyPem] });
    const signer = messageSigner(oldKey.privateKeyPem);
    let answer: (resetId: string, nonce: string, requestDigest: string) => { body: Uint8Array; signature?: string } = () => ({ body: new Uint8Array() });
    let answerAfterMs = 0;
    const responder = other.subscribe(subjectsFor(rogue).verify, {
      queue: 'resetd',
      callback: (_, msg) => {
        const request = msg.json<{ resetId: string; nonce: string }>();
        const { body, signature } = answer(request.resetId, request.nonce, requestDigestOf(msg.data));
        const h = natsHeaders();
        if (signature !== undefined) h.set(SIGNATURE_HEADER, signature);
        setTimeout(() => msg.respond(body, { headers: h }), answerAfterMs);
      },
    });
    // The responder is on another connection: its interest must reach the server before the first request.
    await other.flush();
    try {
      const completedFor = (id: string, nonce?: string, requestDigest?: string) =>
        new TextEncoder().encode(JSON.stringify({ resetId: id, status: 'completed', attemptsRemaining: 0, nonce, requestDigest }));
      // With no reply it can trust within the time given, the first refusal is what verify() says.
      const soon = { timeoutMs: 1_000 };
      answer = (id, nonce, digest) => ({ body: completedFor(id, nonce, digest) });
      await expect(rogueClient.verify('r-1', '123456', soon)).rejects.toThrow(UnverifiedReplyError);
      // A genuine `completed`, captured for one reset and replayed as the answer for another.
      answer = (_, nonce, digest) => ({ body: completedFor('r-captured', nonce, digest), signature: signer.sign(completedFor('r-captured', nonce, digest)) });
      await expect(rogueClient.verify('r-1', '123456', soon)).rejects.toThrow(/answers reset "r-captured", not r-1/);
      // The same genuine `completed` for this reset, captured for another request (it echoes another nonce).
      answer = (id, _, digest) => ({ body: completedFor(id, 'captured', digest), signature: signer.sign(completedFor(id, 'captured', digest)) });
      await expect(rogueClient.verify('r-1', '123456', soon)).rejects.toThrow(/answers another request/);
      answer = (id, nonce, digest) => ({ body: completedFor(id, nonce, digest), signature: signer.sign(completedFor(id, nonce, digest)) });
      expect(await rogueClient.verify('r-1', '123456')).toEqual({ resetId: 'r-1', status: 'completed', attemptsRemaining: 0 });

      // A forger who reads the request answers first, unsigned; resetd's signed answer follows and is the one taken.
      const forger = other.subscribe(subjectsFor(rogue).verify, {
        callback: (_, msg) => void msg.respond(new TextEncoder().encode(JSON.stringify({ ...msg.json<{ resetId: string; nonce: string }>(), status: 'invalid_code', attemptsRemaining: 0 }))),
      });
      answerAfterMs = 50;
      await other.flush();
      try {
        expect(await rogueClient.verify('r-2', '123456')).toEqual({ resetId: 'r-2', status: 'completed', attemptsRemaining: 0 });
      } finally {
        forger.unsubscribe();
      }
    } finally {
      responder.unsubscribe();
      await rogueClient.close();
    }
  });

  it('rotates: a client with the old and the new key accepts both; without the old key, what it signed is dropped', async () => {
    expect(await service!.stop()).toBe(0);
    await startService(keyFile('new.key', newKey.privateKeyPem));
    const second = await client.requestReset({ userId: 'u-rotated', email: 'rotated@example.com' });
    await sink.waitForMail('rotated@example.com');

    const both = await connect({ servers: NATS_URL, subjectPrefix: prefix, verifyKeys: [oldKey.publicKeyPem, newKey.publicKeyPem] });
    const newOnly = await connect({ servers: NATS_URL, subjectPrefix: prefix, verifyKeys: [newKey.publicKeyPem] });
    try {
      // 3 events under the old key, 3 forgeries, then the second reset's code.sent under the new one.
      const withBoth = await readAll(both, 7);
      expect(withBoth.outcomes.map((event) => event.data.resetId)).toEqual([resetId, resetId, resetId, second]);
      expect(withBoth.dropped).toHaveLength(3);

      const withNew = await readAll(newOnly, 7);
      expect(withNew.outcomes.map((event) => [event.type, event.data.resetId])).toEqual([['reset.code.sent', second]]);
      // resetd's three events under the old key, and the forgery that reused an old signature.
      expect(withNew.dropped.filter((message) => message.reason === `no key with kid "${oldKey.kid}"`)).toHaveLength(4);
    } finally {
      await both.close();
      await newOnly.close();
    }
  });

  it('shows in the CLI whether each message verified, with --verify-key (repeatable for rotation)', async () => {
    const env = cliEnv(prefix);
    const keys = ['--verify-key', keyFile('old.pub', oldKey.publicKeyPem), '--verify-key', keyFile('new.pub', newKey.publicKeyPem)];
    const watch = await runCli(['watch', '--all', '--count', '4', ...keys], env);
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.lines).toHaveLength(4);
    for (const line of watch.lines) expect(line).toMatch(/ {2}signature=verified$/);
    expect(watch.stderr.match(/^NOT VERIFIED: message \d+ on \S+\.completed dropped: /gm)).toHaveLength(3);

    const second = (await storedMessages(other, subjects.eventsStream)).at(-1)!;
    const secondId = (JSON.parse(new TextDecoder().decode(second.body)) as { data: { resetId: string } }).data.resetId;
    const checked = await runCli(['verify', secondId, '000000', ...keys], env);
    expect(checked.lines).toEqual([expect.stringMatching(/^(invalid_code {2}attemptsRemaining=4|completed {2}attemptsRemaining=0) {2}signature=verified$/)]);
    // The reply is signed by the new key; a CLI that holds only the old one cannot trust it.
    const oldOnly = await runCli(['verify', secondId, '000001', '--verify-key', keyFile('old.pub', oldKey.publicKeyPem)], env);
    expect(oldOnly.code).toBe(1);
    expect(oldOnly.stderr).toMatch(/^resetd: NOT VERIFIED: the reply on \S+\.verify did not verify \(no key with kid /);
  });
});

describe('the signing key in production', () => {
  it('is required: without it the start stops with one line naming RESET_SIGNING_KEY_FILE, exit 2, no stack', async () => {
    const run = await runServiceToExit({ NODE_ENV: 'production', SMTP_URL: 'smtps://mail.test:465', MAIL_FROM: 'Acme <no-reply@acme.example>', NATS_URL, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(run.code).toBe(2);
    expect(oneLine(run.stderr)).toMatch(/^resetd: RESET_SIGNING_KEY_FILE \(or RESET_SIGNING_KEY\) is required when NODE_ENV=production/);
    expect(run.stdout).toBe('');
  });
});
