import { writeFile } from 'node:fs/promises';
import { renderCodeMail } from '../adapters/mail/render-code-mail.js';
import { EXIT } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import type { CliSettings } from './cli-settings.js';

export interface PreviewOptions {
  readonly locale: string;
  readonly name?: string;
  readonly product?: string;
  /** Write the HTML part to this file. */
  readonly out?: string;
  /** Print the HTML part rather than the text part. */
  readonly html?: boolean;
}

/** A code for looking at, not one that was ever issued. */
const SAMPLE_DIGITS = '4829137065';

/** Renders the code mail as the service would, with a sample code, and sends nothing. */
export async function previewCommand(settings: CliSettings, options: PreviewOptions, output: CliOutput): Promise<number> {
  const mail = renderCodeMail(
    {
      kind: 'code',
      resetId: 'preview',
      to: 'preview@example.com',
      locale: options.locale,
      ...(options.name ? { displayName: options.name } : {}),
      code: SAMPLE_DIGITS.slice(0, settings.codeLength),
      expiresAt: Date.now() + settings.codeLifetimeMinutes * 60_000,
      lifetimeMinutes: settings.codeLifetimeMinutes,
    },
    { productName: options.product ?? settings.productName },
  );
  const language = options.locale.trim().toLowerCase().replaceAll('_', '-').split('-', 1)[0];
  if (language !== mail.locale) output.err(`no templates for ${options.locale}; this is the ${mail.locale} mail, as the service would send it`);
  if (options.out) {
    await writeFile(options.out, mail.html);
    output.out(`wrote the ${mail.locale} HTML part to ${options.out} (subject: ${mail.subject})`);
  } else if (options.html) {
    output.out(mail.html);
  } else {
    output.out(`Subject: ${mail.subject}\nContent-Language: ${mail.locale}\n\n${mail.text}`);
  }
  return EXIT.ok;
}
