import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { withClient } from './open-client.js';
import { readVerifyKeys } from './verify-keys.js';

export interface VerifyOptions {
  readonly json?: boolean;
  /** resetd's public key files: the reply must verify with one of them. */
  readonly verifyKey?: readonly string[];
}

/**
 * Asks `reset.verify` and prints the reply; exit 0 only when the reset completed. With
 * `--verify-key`, the line says the signature verified; a reply that does not verify fails with
 * UnverifiedReplyError (exit 1), whatever status it claims.
 */
export function verifyCommand(settings: CliSettings, resetId: string, code: string, options: VerifyOptions, output: CliOutput): Promise<number> {
  const verifyKeys = readVerifyKeys(options.verifyKey);
  return withClient(
    settings,
    async (client) => {
      const reply = await client.verify(resetId, code);
      const signature = verifyKeys ? '  signature=verified' : '';
      output.out(options.json ? JSON.stringify(verifyKeys ? { ...reply, verified: true } : reply) : `${[reply.status, ...Object.entries(reply).filter(([key]) => key !== 'status' && key !== 'resetId').map(([key, value]) => `${key}=${value}`)].join('  ')}${signature}`);
      return reply.status === 'completed' ? EXIT.ok : EXIT.failed;
    },
    { verifyKeys },
  );
}
