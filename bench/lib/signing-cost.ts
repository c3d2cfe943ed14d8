import { cloudEvent, eventIdDeriver } from '../../src/contract/cloud-event.js';
import { generateSigningKeyPair, messageSigner, SignatureVerifier } from '../../src/contract/message-signature.js';

export interface SigningCost {
  /** Bytes of the body signed: a `reset.code.sent` CloudEvent as resetd publishes it. */
  readonly bodyBytes: number;
  /** CPU microseconds (user + system) per `Resetd-Signature` made, as resetd makes it. */
  readonly signUs: number;
  /** CPU microseconds per signature checked, as a consumer holding the public key checks it. */
  readonly verifyUs: number;
}

/**
 * What one signature costs, with resetd's own signer and the client's own verifier, over a body
 * the size of those resetd publishes: in this process, so nothing else is counted. Signing cannot
 * be switched off in resetd (a switch would be a way to forge), so "without signing" is the
 * end-to-end CPU less this, times the signatures per reset.
 */
export function signingCost(iterations: number): SigningCost {
  const pair = generateSigningKeyPair();
  const signer = messageSigner(pair.privateKeyPem);
  const verifier = new SignatureVerifier([pair.publicKeyPem]);
  const resetId = '2ecd40fb-653f-4c6d-bb26-387e5b02574f';
  const event = cloudEvent({
    id: eventIdDeriver('signing-cost event id key, 32 chars or more')(resetId, 'reset.code.sent', '1'),
    source: 'urn:resetd:resetd',
    type: 'reset.code.sent',
    time: new Date(),
    data: { resetId, userId: 'u-bench-0000001', expiresAt: new Date().toISOString() },
  });
  const body = new TextEncoder().encode(JSON.stringify(event));
  const signatures: string[] = [];
  // Warm the JIT and OpenSSL's state first, as the service is warm when it is measured.
  for (let i = 0; i < 1_000; i += 1) verifier.check(body, signer.sign(body));
  const signStart = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) signatures.push(signer.sign(body));
  const signSpent = process.cpuUsage(signStart);
  const verifyStart = process.cpuUsage();
  for (const signature of signatures) if (!verifier.check(body, signature).ok) throw new Error('a signature did not verify');
  const verifySpent = process.cpuUsage(verifyStart);
  return {
    bodyBytes: body.byteLength,
    signUs: (signSpent.user + signSpent.system) / iterations,
    verifyUs: (verifySpent.user + verifySpent.system) / iterations,
  };
}
