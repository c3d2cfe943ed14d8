import { performance } from 'node:perf_hooks';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import type { MailResult, OutboundMail } from '../../domain/mail.js';
import type { Mailer } from '../../domain/ports.js';
import { maskEmail } from './mask-email.js';
import type { ResetMetrics } from './reset-metrics.js';
import { ATTR_MAIL_TO, ATTR_RESET_ID, ATTR_SMTP_RESPONSE_CODE } from './semconv.js';
import { inSpan } from './spans.js';

/** Where the SMTP server is, as the span names it. */
export interface SmtpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A mailer that may also be closed (the SMTP mailer); closing passes through. */
type InnerMailer = Mailer & { close?(): void };

/**
 * Decorates the SMTP mailer: each send is a CLIENT span `smtp send` with the server, the reply
 * code and the recipient masked, and is measured. It wraps the mailer that talks to the server,
 * inside any retry or breaker, so one span and one measurement stand for one real SMTP exchange.
 */
export class TracedMailer implements Mailer {
  constructor(
    private readonly inner: InnerMailer,
    private readonly server: SmtpEndpoint,
    private readonly metrics: ResetMetrics,
  ) {}

  send(mail: OutboundMail): Promise<MailResult> {
    const attributes = {
      [ATTR_SERVER_ADDRESS]: this.server.address,
      [ATTR_SERVER_PORT]: this.server.port,
      [ATTR_RESET_ID]: mail.resetId,
      [ATTR_MAIL_TO]: maskEmail(mail.to),
    };
    return inSpan('smtp send', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let result: MailResult;
      try {
        result = await this.inner.send(mail);
      } catch (error) {
        this.metrics.smtpSent('transient', seconds());
        const code = replyCodeOf(error);
        if (code !== undefined) span.setAttribute(ATTR_SMTP_RESPONSE_CODE, code);
        throw error;
      }
      if (result.kind === 'accepted') {
        this.metrics.smtpSent('accepted', seconds());
        // nodemailer resolves only on the server's reply to the end of DATA, whose one success code is 250.
        span.setAttribute(ATTR_SMTP_RESPONSE_CODE, 250);
      } else {
        this.metrics.smtpSent('permanent', seconds());
        const code = Number(/^\d{3}/.exec(result.reply)?.[0]);
        if (Number.isInteger(code)) span.setAttribute(ATTR_SMTP_RESPONSE_CODE, code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: Number.isInteger(code) ? `refused for good (${code})` : 'refused for good' });
      }
      return result;
    });
  }

  close(): void {
    this.inner.close?.();
  }
}

/** The SMTP reply code a failed send got, if the server answered at all. */
function replyCodeOf(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth += 1) {
    const code = (e as { responseCode?: unknown }).responseCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}
