import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { withClient } from './open-client.js';

/** Asks `reset.verify` and prints the reply; exit 0 only when the reset completed. */
export function verifyCommand(settings: CliSettings, resetId: string, code: string, options: { json?: boolean }, output: CliOutput): Promise<number> {
  return withClient(settings, async (client) => {
    const reply = await client.verify(resetId, code);
    output.out(options.json ? JSON.stringify(reply) : `${reply.status}  attemptsRemaining=${reply.attemptsRemaining}`);
    return reply.status === 'completed' ? EXIT.ok : EXIT.failed;
  });
}
