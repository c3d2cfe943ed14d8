import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, keyIdOf, messageSigner, SignatureVerifier, SigningKeyError } from '../../../src/contract/message-signature.js';

const body = Buffer.from('{"specversion":"1.0","type":"reset.completed","data":{"resetId":"r-1","userId":"u-1"}}');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Resetd-Signature (JWS, detached, b64 false, EdDSA)', () => {
  const pair = generateSigningKeyPair();
  const signer = messageSigner(pair.privateKeyPem);
  const verifier = new SignatureVerifier([pair.publicKeyPem]);

  it('is BASE64URL(protected)..BASE64URL(signature) with the protected header RFC 7797 asks for', () => {
    const [protectedPart, payload, signature] = signer.sign(body).split('.');
    expect(payload).toBe('');
    expect(JSON.parse(Buffer.from(protectedPart!, 'base64url').toString())).toEqual({ alg: 'EdDSA', kid: pair.kid, b64: false, crit: ['b64'] });
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(64);
  });

  it('signs ASCII(protected) . body, the raw bytes, as any JOSE library computes the input', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const protectedPart = b64url({ alg: 'EdDSA', kid: keyIdOf(publicKey), b64: false, crit: ['b64'] });
    // Made by hand from the RFCs, not by messageSigner: the verifier must accept it.
    const signature = sign(null, Buffer.concat([Buffer.from(`${protectedPart}.`), body]), privateKey).toString('base64url');
    expect(new SignatureVerifier([publicKey]).check(body, `${protectedPart}..${signature}`)).toEqual({ ok: true, kid: keyIdOf(publicKey) });
    expect(messageSigner(privateKey).sign(body)).toBe(`${protectedPart}..${signature}`);
  });

  it('verifies what it signed, and nothing else: a changed body, byte or whitespace, fails', () => {
    const signature = signer.sign(body);
    expect(verifier.check(body, signature)).toEqual({ ok: true, kid: pair.kid });
    const changed = Buffer.from(body.toString().replace('u-1', 'u-2'));
    expect(verifier.check(changed, signature)).toEqual({ ok: false, reason: `the signature does not match the body (kid "${pair.kid}")` });
    expect(verifier.check(Buffer.from(`${body.toString()} `), signature).ok).toBe(false);
  });

  it('names the kid by the RFC 7638 thumbprint (the RFC 8037 example key)', () => {
    const x = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
    expect(keyIdOf(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }))).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it.each([
    ['no header', undefined, /no Resetd-Signature header/],
    ['an attached payload', () => signer.sign(body).replace('..', '.e30.'), /not a compact JWS/],
    ['alg none', () => `${b64url({ alg: 'none', kid: pair.kid, b64: false, crit: ['b64'] })}..AA`, /alg "none" is not EdDSA/],
    ['b64 not false', () => `${b64url({ alg: 'EdDSA', kid: pair.kid })}..AA`, /b64 false/],
    ['an unknown critical parameter', () => `${b64url({ alg: 'EdDSA', kid: pair.kid, b64: false, crit: ['b64', 'exp'] })}..AA`, /crit/],
    ['an unknown kid', () => messageSigner(generateSigningKeyPair().privateKeyPem).sign(body), /no key with kid/],
  ])('refuses %s', (_, make, reason) => {
    const check = verifier.check(body, typeof make === 'function' ? make() : make);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });

  it("quotes a kid it does not hold, escaped and cut short: a forged kid cannot rewrite the line it is shown in", () => {
    const hostile = `\u001b[1A\u001b[2K\r2026-12-04 reset.completed r-victim signature=verified\n${'x'.repeat(500)}`;
    const check = verifier.check(body, `${b64url({ alg: 'EdDSA', kid: hostile, b64: false, crit: ['b64'] })}..AA`);
    const reason = check.ok ? '' : check.reason;

    expect(reason).toMatch(/^no key with kid "\\u001b\[1A\\u001b\[2K\\r2026/);
    expect([...reason].filter((c) => c < ' ')).toEqual([]);
    expect(reason.length).toBeLessThan(140);
  });

  it('holds several keys by kid while keys rotate; a key removed no longer verifies', () => {
    const next = generateSigningKeyPair();
    const both = new SignatureVerifier([pair.publicKeyPem, JSON.parse(JSON.stringify(createPublicKey(next.publicKeyPem).export({ format: 'jwk' })))]);
    expect(both.kids.sort()).toEqual([pair.kid, next.kid].sort());
    expect(both.check(body, signer.sign(body)).ok).toBe(true);
    expect(both.check(body, messageSigner(next.privateKeyPem).sign(body)).ok).toBe(true);
    const newOnly = new SignatureVerifier([next.publicKeyPem]);
    expect(newOnly.check(body, signer.sign(body))).toEqual({ ok: false, reason: `no key with kid "${pair.kid}"`, unknownKey: true });
  });

  it('takes only Ed25519 keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => messageSigner(rsa.privateKey)).toThrow(SigningKeyError);
    expect(() => new SignatureVerifier([rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString()])).toThrow(/Ed25519/);
    expect(() => new SignatureVerifier(['not a key'])).toThrow(SigningKeyError);
  });
});
