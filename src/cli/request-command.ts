import { performance } from 'node:perf_hooks';
import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { firstEvent } from './first-event.js';
import { formatEvent, isOutcomeOf } from './format-event.js';
import { withClient } from './open-client.js';
import { readVerifyKeys } from './verify-keys.js';

export interface RequestOptions {
  readonly user: string;
  readonly email: string;
  readonly locale?: string;
  readonly ip?: string;
  readonly name?: string;
  readonly userAgent?: string;
  /** Seconds to wait for the outcome. */
  readonly timeout: number;
  readonly json?: boolean;
  readonly verifyKey?: readonly string[];
}

/** Publishes `reset.requested` and prints its outcome; exit 0 only when the code was mailed. */
export function requestCommand(settings: CliSettings, options: RequestOptions, output: CliOutput): Promise<number> {
  const verifyKeys = readVerifyKeys(options.verifyKey);
  return withClient(settings, async (client) => {
    // Listening starts before the request is published, so its outcome cannot slip past.
    const outcomes = client.outcomes({ deliver: 'new' });
    await outcomes.ready;
    const started = performance.now();
    const resetId = await client.requestReset({
      userId: options.user,
      email: options.email,
      ...(options.locale ? { locale: options.locale } : {}),
      ...(options.ip ? { clientIp: options.ip } : {}),
      ...(options.name ? { displayName: options.name } : {}),
      ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    });
    if (!options.json) output.out(`requested reset ${resetId} for ${options.user} <${options.email}>`);

    const outcome = await firstEvent(outcomes, (e) => isOutcomeOf(resetId, e), options.timeout * 1000);
    if (outcome === undefined) {
      output.err(`resetd: no outcome for reset ${resetId} within ${options.timeout} s; is resetd running? (resetd status)`);
      return EXIT.failed;
    }
    if (options.json) {
      output.out(JSON.stringify(outcome));
    } else {
      output.out(formatEvent(outcome));
      if (outcome.type === 'reset.code.sent') {
        // `-` reads the code from standard input: on the command line, `ps` and the shell history would keep it.
        output.out(`code mailed in ${Math.round(performance.now() - started)} ms; check it with: resetd verify ${resetId} -  (then type the code)`);
      }
    }
    return outcome.type === 'reset.code.sent' ? EXIT.ok : EXIT.failed;
  }, { verifyKeys });
}
