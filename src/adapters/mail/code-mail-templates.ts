import type { MailLocale } from './locale.js';

interface PluralForms {
  readonly one: string;
  readonly other: string;
}

/**
 * The words of the code mail in one language, as plain text. Slots: `{{product}}` in `subject`,
 * `intro`, `notYou` and `signature`; `{{name}}` in `greeting`; `{{lifetime}}` in `validity`.
 * The layout (where the code goes, the HTML around it) is shared by all languages.
 */
export interface CodeMailTemplate {
  readonly subject: string;
  readonly greeting: string;
  readonly greetingWithoutName: string;
  readonly intro: string;
  readonly validity: string;
  readonly notYou: string;
  readonly signature: string;
  readonly units: { readonly minute: PluralForms; readonly hour: PluralForms };
}

// French puts a no-break space before `:` and `;`, so the sign never starts a line.
const NBSP = '\u00a0';

// The code stays out of the subject: MTAs log subjects and phones show them on the lock screen.
export const CODE_MAIL_TEMPLATES: Readonly<Record<MailLocale, CodeMailTemplate>> = {
  en: {
    subject: 'Your {{product}} password reset code',
    greeting: 'Hi {{name}},',
    greetingWithoutName: 'Hi,',
    intro: 'We received a request to reset the password for your {{product}} account. Enter this code to continue:',
    validity: 'This code expires in {{lifetime}} and can only be used once.',
    notYou:
      "If you didn't request a password reset, you can safely ignore this email: your password won't change. " +
      'Never share this code with anyone. We will never ask you for it.',
    signature: 'The {{product}} team',
    units: { minute: { one: 'minute', other: 'minutes' }, hour: { one: 'hour', other: 'hours' } },
  },
  de: {
    subject: 'Code zum Zurücksetzen Ihres {{product}}-Passworts',
    greeting: 'Hallo {{name}},',
    greetingWithoutName: 'Hallo,',
    // A German letter goes on in lower case after the greeting's comma.
    intro:
      'wir haben eine Anfrage erhalten, das Passwort für Ihr {{product}}-Konto zurückzusetzen. ' +
      'Geben Sie diesen Code ein, um fortzufahren:',
    validity: 'Der Code ist {{lifetime}} lang gültig und kann nur einmal verwendet werden.',
    notYou:
      'Falls Sie das nicht angefordert haben, können Sie diese E-Mail einfach ignorieren – Ihr Passwort bleibt unverändert. ' +
      'Geben Sie den Code an niemanden weiter; wir werden Sie nie danach fragen.',
    signature: 'Ihr {{product}}-Team',
    units: { minute: { one: 'Minute', other: 'Minuten' }, hour: { one: 'Stunde', other: 'Stunden' } },
  },
  fr: {
    subject: 'Votre code pour réinitialiser votre mot de passe {{product}}',
    greeting: 'Bonjour {{name}},',
    greetingWithoutName: 'Bonjour,',
    intro:
      'Nous avons reçu une demande de réinitialisation du mot de passe de votre compte {{product}}. ' +
      `Saisissez ce code pour continuer${NBSP}:`,
    validity: 'Ce code expire dans {{lifetime}} et ne peut être utilisé qu’une seule fois.',
    notYou:
      `Si vous n’êtes pas à l’origine de cette demande, vous pouvez ignorer cet e-mail${NBSP}: votre mot de passe reste inchangé. ` +
      `Ne communiquez jamais ce code à personne${NBSP}; nous ne vous le demanderons jamais.`,
    signature: 'L’équipe {{product}}',
    units: { minute: { one: 'minute', other: 'minutes' }, hour: { one: 'heure', other: 'heures' } },
  },
  es: {
    subject: 'Tu código para restablecer la contraseña de {{product}}',
    greeting: 'Hola, {{name}}:',
    greetingWithoutName: 'Hola:',
    intro:
      'Hemos recibido una solicitud para restablecer la contraseña de tu cuenta de {{product}}. ' +
      'Usa este código para continuar:',
    validity: 'El código expira en {{lifetime}} y solo se puede usar una vez.',
    notYou:
      'Si no has pedido restablecer tu contraseña, puedes ignorar este correo: tu contraseña no cambiará. ' +
      'No compartas este código con nadie; nunca te lo pediremos.',
    signature: 'El equipo de {{product}}',
    units: { minute: { one: 'minuto', other: 'minutos' }, hour: { one: 'hora', other: 'horas' } },
  },
};
