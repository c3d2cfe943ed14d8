// An auth service's use of resetd/client, compiled by test/e2e/client-package.test.ts in a project
// that depends on resetd alone (strict TypeScript), so what the README shows keeps compiling.
import { readFileSync } from 'node:fs';
import { connect, usernamePasswordAuthenticator, type OutcomeOf } from 'resetd/client';

const resetd = await connect({
  servers: 'nats://127.0.0.1:4222',
  source: 'urn:acme:auth',
  security: { authenticator: usernamePasswordAuthenticator('auth', 'the-auth-service-password') },
  // resetd's public key (`resetd keygen` prints it): events and replies that do not verify are
  // never handed over as outcomes; they are reported here instead.
  verifyKeys: [readFileSync('resetd-signing.pub', 'utf8')],
  onUnverified: (message) => console.warn(`dropped an unverified message on ${message.subject}: ${message.reason}`),
});

// The outcomes, read with a durable consumer, which goes on where it stopped after a restart. Made
// before anything is published whose outcome it must see: a new one starts after the events kept.
const outcomes = resetd.outcomes({ durable: 'auth-service' });
await outcomes.ready;

// The user asked for a reset: resetd mails a code, or says why not.
const resetId = await resetd.requestReset({ userId: 'u-42', email: 'ada@example.com', locale: 'de', clientIp: '203.0.113.7' });

// Later, the user typed the code from the mail: check it at once (asked before the reset was
// handled, the answer is unknown_reset)…
const { status, attemptsRemaining } = await resetd.verify(resetId, '123456');
console.log(status, attemptsRemaining);

// …and the outcomes. The event a `break` leaves the loop on counts as handled.
for await (const event of outcomes) {
  if (event.type === 'reset.completed') {
    const completed: OutcomeOf<'reset.completed'> = event;
    console.log(`${completed.data.userId} may set a new password`);
    break;
  }
}

// Deciding for yourself: only ack() settles an event; one not acknowledged comes again.
for await (const event of resetd.outcomes({ durable: 'auth-audit', ack: 'manual' })) {
  console.log(event.type, event.data.resetId);
  event.ack();
  if (event.data.resetId === resetId) break;
}

// The new password is set: resetd mails the user a notice.
await resetd.passwordChanged({ userId: 'u-42', email: 'ada@example.com', resetId });
await resetd.close();
