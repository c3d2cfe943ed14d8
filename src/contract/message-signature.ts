import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify, type JsonWebKey } from 'node:crypto';
import { quotedForDisplay } from './printable.js';

/**
 * `Resetd-Signature`: a JWS (RFC 7515) in compact form with a detached, unencoded payload (RFC 7797),
 * `BASE64URL(protected) + ".." + BASE64URL(signature)`, Ed25519 over the body bytes exactly as
 * published. Service, client and CLI share this one implementation, so they cannot disagree on the
 * format; any JOSE library that supports `b64: false` checks it too. Node's own crypto does Ed25519,
 * so the client ships no extra dependency.
 */
export const SIGNATURE_HEADER = 'Resetd-Signature';

/** A public key of resetd as a consumer holds it: PEM text, a JWK (object or JSON text), or a KeyObject. */
export type VerifyKey = string | JsonWebKey | KeyObject;

export interface MessageSigner {
  /** The RFC 7638 thumbprint of the public key: consumers pick the key by it. */
  readonly kid: string;
  /** The `Resetd-Signature` value for exactly these body bytes. */
  sign(body: Uint8Array): string;
}

/**
 * A failed check says why; `unknownKey` when the signature names a key not held, which after a key
 * rotation may be resetd's new one rather than a forgery.
 */
export type SignatureCheck = { readonly ok: true; readonly kid: string } | { readonly ok: false; readonly reason: string; readonly unknownKey?: true };

/** Not an Ed25519 key, or not a key at all; the message names no key material. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

const DOT = Buffer.from('.');

/**
 * A signer over an Ed25519 private key (PKCS#8 PEM or a KeyObject). The key is parsed and the
 * protected header encoded once, so each message costs one Ed25519 signature and a copy of its body.
 */
export function messageSigner(privateKey: string | KeyObject): MessageSigner {
  const key = typeof privateKey === 'string' ? parsed(() => createPrivateKey(privateKey), 'a PKCS#8 PEM private key') : privateKey;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`the signing key must be an Ed25519 private key, not ${describe(key)}`);
  const kid = keyIdOf(createPublicKey(key));
  const header = Buffer.from(base64url(JSON.stringify({ alg: 'EdDSA', kid, b64: false, crit: ['b64'] })));
  const prefix = Buffer.concat([header, DOT]);
  return {
    kid,
    sign: (body) => `${header.toString('ascii')}..${sign(null, Buffer.concat([prefix, body]), key).toString('base64url')}`,
  };
}

/**
 * Checks `Resetd-Signature` values against a set of public keys, chosen by `kid`; several keys are
 * held while resetd's key rotates. A header that is missing, malformed, names another algorithm or
 * an unknown key, or whose signature does not match the body, fails with a reason.
 */
export class SignatureVerifier {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  /** @throws SigningKeyError when a key is not an Ed25519 public (or private) key. */
  constructor(keys: readonly VerifyKey[]) {
    this.keys = new Map(keys.map((input) => {
      const key = publicKeyOf(input);
      return [keyIdOf(key), key] as const;
    }));
  }

  /** The `kid` of every key held, e.g. to log which keys a consumer trusts. */
  get kids(): string[] {
    return [...this.keys.keys()];
  }

  check(body: Uint8Array, signature: string | undefined): SignatureCheck {
    if (signature === undefined || signature === '') return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
    const match = /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(signature);
    if (!match) return { ok: false, reason: `${SIGNATURE_HEADER} is not a compact JWS with a detached payload` };
    const [, protectedPart, signaturePart] = match as unknown as [string, string, string];
    let header: { alg?: unknown; kid?: unknown; b64?: unknown; crit?: unknown };
    try {
      header = JSON.parse(Buffer.from(protectedPart, 'base64url').toString('utf8')) as typeof header;
    } catch {
      return { ok: false, reason: 'the protected header is not JSON' };
    }
    if (header.alg !== 'EdDSA') return { ok: false, reason: `alg ${JSON.stringify(header.alg)} is not EdDSA` };
    // RFC 7797: b64 false must be listed in crit, and a critical parameter we do not know must fail.
    if (header.b64 !== false || !Array.isArray(header.crit) || header.crit.length !== 1 || header.crit[0] !== 'b64') {
      return { ok: false, reason: 'the protected header must say b64 false with crit ["b64"]' };
    }
    if (typeof header.kid !== 'string') return { ok: false, reason: 'the protected header names no kid' };
    const key = this.keys.get(header.kid);
    // The kid is the sender's text: quoted, so it cannot forge a line where the reason is shown.
    if (key === undefined) return { ok: false, reason: `no key with kid ${quotedForDisplay(header.kid)}`, unknownKey: true };
    const input = Buffer.concat([Buffer.from(protectedPart, 'ascii'), DOT, body]);
    return verify(null, input, key, Buffer.from(signaturePart, 'base64url')) ? { ok: true, kid: header.kid } : { ok: false, reason: `the signature does not match the body (kid ${quotedForDisplay(header.kid)})` };
  }
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key: a `kid` anyone can recompute. */
export function keyIdOf(publicKey: KeyObject): string {
  const { x } = publicKey.export({ format: 'jwk' });
  // The members the RFC requires for an OKP key, in lexicographic order, no whitespace.
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}

/** A new Ed25519 key pair in PEM (PKCS#8 private, SPKI public) with its `kid`, as `resetd keygen` writes it. */
export function generateSigningKeyPair(): { readonly privateKeyPem: string; readonly publicKeyPem: string; readonly kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    kid: keyIdOf(publicKey),
  };
}

function publicKeyOf(input: VerifyKey): KeyObject {
  let key: KeyObject;
  if (typeof input === 'string') {
    const text = input.trim();
    key = text.startsWith('{') ? parsed(() => createPublicKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' }), 'a JWK') : parsed(() => createPublicKey(text), 'a PEM key');
  } else if (input instanceof KeyObject) {
    key = input.type === 'private' ? createPublicKey(input) : input;
  } else {
    key = parsed(() => createPublicKey({ key: input, format: 'jwk' }), 'a JWK');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError(`a verify key must be an Ed25519 key, not ${describe(key)}`);
  return key;
}

function parsed(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch (error) {
    throw new SigningKeyError(`not ${what}`, { cause: error });
  }
}

function describe(key: KeyObject): string {
  return `${key.type} ${key.asymmetricKeyType ?? 'secret'}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
