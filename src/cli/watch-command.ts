import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';
import { formatEvent, formatValue } from './format-event.js';
import { withClient } from './open-client.js';
import { readVerifyKeys } from './verify-keys.js';

export interface WatchOptions {
  readonly json?: boolean;
  /** Replay the stream from its start rather than only what comes from now on. */
  readonly all?: boolean;
  /** Stop after this many events. */
  readonly count?: number;
  /** resetd's public key files: only events that verify with one of them are printed as events. */
  readonly verifyKey?: readonly string[];
}

/**
 * Prints each event of `<PREFIX>_EVENTS` as it arrives, until Ctrl-C, `count` events or a stdout
 * that takes no more. With `--verify-key`, each line says its signature verified, and a message
 * that does not verify is printed to stderr as NOT VERIFIED instead, never as an event.
 */
export function watchCommand(settings: CliSettings, options: WatchOptions, output: CliOutput): Promise<number> {
  const verifyKeys = readVerifyKeys(options.verifyKey);
  const onUnverified = (m: { subject: string; seq: number; reason: string }) => output.err(`NOT VERIFIED: message ${m.seq} on ${formatValue(m.subject)} dropped: ${m.reason}`);
  return withClient(settings, async (client) => {
    const events = client.outcomes({ deliver: options.all ? 'all' : 'new', onSkipped: (s) => output.err(`skipped message ${s.seq} on ${formatValue(s.subject)}: ${s.reason}`) });
    await events.ready;
    const stop = () => events.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // Nothing reads the lines any more (`resetd watch | head -1`): stop as Ctrl-C would.
    output.closed?.addEventListener('abort', stop);
    if (!options.json) output.err(`watching ${client.subjects.eventsStream}${options.all ? ' from its start' : ''}; Ctrl-C stops`);
    let seen = 0;
    try {
      for await (const event of events) {
        output.out(options.json ? JSON.stringify(event) : `${formatEvent(event)}${verifyKeys ? '  signature=verified' : ''}`);
        seen += 1;
        if (options.count !== undefined && seen >= options.count) break;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      output.closed?.removeEventListener('abort', stop);
    }
    return EXIT.ok;
  }, { verifyKeys, onUnverified });
}
