import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { withoutEmpty } from '../adapters/environment/env-schema.js';
import { readSigningKey } from '../adapters/environment/key-settings.js';
import { CliError, EXIT } from './cli-error.js';

/**
 * The `--verify-key` files (PEM or JWK), each read whole. Without them, where resetd's own signing
 * key is set (RESET_SIGNING_KEY_FILE or RESET_SIGNING_KEY: in its container), its public half: the
 * CLI run beside resetd checks what resetd signs. Else unset, so nothing is checked.
 */
export function readVerifyKeys(files: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (files === undefined || files.length === 0) {
    const own = ownPublicKey(env);
    return own === undefined ? undefined : [own];
  }
  return files.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CliError(`--verify-key names a file that cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage);
    }
  });
}

function ownPublicKey(env: NodeJS.ProcessEnv): string | undefined {
  try {
    // Read as the service reads it: a file or the variable, line breaks as `\n`, Ed25519 only.
    const key = readSigningKey(withoutEmpty(env));
    return key === undefined ? undefined : createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  } catch (error) {
    throw new CliError(`RESET_SIGNING_KEY_FILE (or RESET_SIGNING_KEY) does not hold resetd's private key, so its public half cannot check what resetd signs; give --verify-key instead`, EXIT.usage, { cause: error });
  }
}

/** Commander's parser for a repeatable option: each use adds one value. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
