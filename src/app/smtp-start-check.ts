import type { Logger } from 'pino';
import { describeFailure, type SmtpProbe } from '../adapters/smtp/nodemailer-mailer.js';
import { ConfigError } from '../adapters/environment/config-error.js';
import { smtpConfigurationLine } from '../adapters/environment/smtp-security.js';

export interface SmtpStartCheckOptions {
  /** How long the start waits for the first answer; a slower server is taken as not reached yet. */
  readonly waitMs: number;
  /** How often a server not reached is asked again. */
  readonly retryMs: number;
}

/**
 * The SMTP server, checked once at start (connect, TLS, login). One that refuses the login or
 * fails the TLS check stops the start: `run()` throws ConfigError with the line naming the fix. One
 * not reached (down, or silent) is a warning: the service starts, `reason` says why for `/readyz`,
 * and the server is asked again until it answers; mail waits meanwhile, as in any outage.
 */
export class SmtpStartCheck {
  private problem: string | undefined;

  constructor(
    private readonly server: { probe(): Promise<SmtpProbe> },
    /** Where the server is, its password masked. */
    private readonly where: string,
    private readonly log: Logger,
    private readonly options: SmtpStartCheckOptions = { waitMs: 3_000, retryMs: 5_000 },
  ) {}

  /** Why mail cannot go out yet, while the server has not been reached since start. */
  get reason(): string | undefined {
    return this.problem;
  }

  async run(): Promise<void> {
    const probing = this.server.probe();
    const first = await Promise.race([probing, sleep(this.options.waitMs).then(() => undefined)]);
    if (first?.kind === 'failed' && (first.failure.kind === 'login' || first.failure.kind === 'tls')) {
      throw new ConfigError(smtpConfigurationLine(first.failure, this.where));
    }
    if (first?.kind === 'ready') return;
    this.problem = (first === undefined ? `no answer within ${this.options.waitMs} ms` : describeFailure(first.failure)) + implicitTlsHint(this.where);
    this.log.warn({ smtp: this.where, reason: this.problem }, 'SMTP server not reached at start; starting anyway, mail waits until it answers');
    void this.retry(first === undefined ? probing : undefined);
  }

  /** Asks again (the slow first probe, then every `retryMs`) until the server answers. */
  private async retry(pending: Promise<SmtpProbe> | undefined): Promise<void> {
    for (let probing = pending; this.problem !== undefined; probing = undefined) {
      if (probing === undefined) {
        await sleep(this.options.retryMs);
        probing = this.server.probe();
      }
      const result = await probing;
      if (result.kind === 'ready') {
        this.problem = undefined;
        this.log.info({ smtp: this.where }, 'SMTP server reached; mail goes out');
        return;
      }
      const problem = describeFailure(result.failure) + implicitTlsHint(this.where);
      if (problem !== this.problem && (result.failure.kind === 'login' || result.failure.kind === 'tls')) {
        // Too late to stop the start; say it as loudly as the start would have, once.
        this.log.error({ smtp: this.where, configuration: true }, smtpConfigurationLine(result.failure, this.where));
      }
      this.problem = problem;
    }
  }
}

/**
 * Port 465 speaks TLS from the first byte (smtps://): a plain smtp:// client waits there for a
 * greeting that never comes, which reads like a server down or a firewall.
 */
function implicitTlsHint(where: string): string {
  const { protocol, port } = new URL(where);
  return protocol === 'smtp:' && port === '465' ? '; port 465 expects TLS from the first byte: use smtps:// in SMTP_URL' : '';
}

// Unref'd: a server still away must not keep a stopping process alive.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
