import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPair } from '../contract/message-signature.js';
import { CliError, EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';

export const PRIVATE_KEY_FILE = 'resetd-signing.key';
export const PUBLIC_KEY_FILE = 'resetd-signing.pub';

/**
 * Writes a new signing key pair to `out`: the private key (PKCS#8 PEM, mode 0600) for
 * RESET_SIGNING_KEY_FILE, the public key (SPKI PEM) for consumers' `verifyKeys`. Prints the kid
 * and the public key. Never overwrites a key: losing the one in use would stop every consumer trusting resetd.
 */
export function keygenCommand(options: { readonly out: string }, output: CliOutput): number {
  const privatePath = join(options.out, PRIVATE_KEY_FILE);
  const publicPath = join(options.out, PUBLIC_KEY_FILE);
  const present = [privatePath, publicPath].filter((path) => existsSync(path));
  if (present.length > 0) throw new CliError(`${present.join(' and ')} exist already; choose another --out directory (rotation keeps the old key until consumers hold the new one)`, EXIT.usage);
  const pair = generateSigningKeyPair();
  mkdirSync(options.out, { recursive: true });
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  output.err(`wrote ${privatePath} (private: RESET_SIGNING_KEY_FILE) and ${publicPath} (public: give it to consumers); kid ${pair.kid}`);
  output.out(pair.publicKeyPem);
  return EXIT.ok;
}
