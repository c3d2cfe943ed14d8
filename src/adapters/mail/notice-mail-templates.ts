import type { MailLocale } from './locale.js';

/**
 * The words of the password-changed notice in one language, as plain text. Slots: `{{product}}` in
 * `subject` and `changed`; `{{when}}` (the time in the user's language, in UTC) in `changed`;
 * `{{ip}}` in `origin`, which is left out when the IP is not known. The greeting and the signature
 * are the code mail's. No link, on purpose: a notice that asks to click is what phishing looks like.
 */
export interface NoticeMailTemplate {
  readonly subject: string;
  readonly changed: string;
  readonly origin: string;
  readonly ifYou: string;
  readonly notYou: string;
}

const NBSP = '\u00a0';

export const NOTICE_MAIL_TEMPLATES: Readonly<Record<MailLocale, NoticeMailTemplate>> = {
  en: {
    subject: 'Your {{product}} password was changed',
    changed: 'The password for your {{product}} account was changed on {{when}}.',
    origin: 'The change came from the IP address {{ip}}.',
    ifYou: "If you made this change, you don't need to do anything.",
    notYou:
      "If you didn't change your password, someone else may have access to your account. Reset your password " +
      'right away with “Forgot password” on the sign-in page, and contact our support team.',
  },
  de: {
    subject: 'Ihr {{product}}-Passwort wurde geändert',
    // A German letter goes on in lower case after the greeting's comma.
    changed: 'das Passwort für Ihr {{product}}-Konto wurde am {{when}} geändert.',
    origin: 'Die Änderung kam von der IP-Adresse {{ip}}.',
    ifYou: 'Wenn Sie das selbst waren, müssen Sie nichts weiter tun.',
    notYou:
      'Wenn Sie Ihr Passwort nicht geändert haben, hat womöglich jemand anderes Zugriff auf Ihr Konto. Setzen Sie ' +
      'Ihr Passwort sofort über „Passwort vergessen“ auf der Anmeldeseite zurück und wenden Sie sich an unseren Support.',
  },
  fr: {
    subject: 'Le mot de passe de votre compte {{product}} a été modifié',
    changed: 'Le mot de passe de votre compte {{product}} a été modifié le {{when}}.',
    origin: 'La modification a été faite depuis l’adresse IP {{ip}}.',
    ifYou: 'Si vous êtes à l’origine de ce changement, vous n’avez rien à faire.',
    notYou:
      `Si vous n’avez pas changé votre mot de passe, quelqu’un d’autre a peut-être accès à votre compte${NBSP}: ` +
      `réinitialisez-le tout de suite avec «${NBSP}Mot de passe oublié${NBSP}» sur la page de connexion et contactez notre support.`,
  },
  es: {
    subject: 'Se ha cambiado la contraseña de tu cuenta de {{product}}',
    changed: 'La contraseña de tu cuenta de {{product}} se cambió el {{when}}.',
    origin: 'El cambio se hizo desde la dirección IP {{ip}}.',
    ifYou: 'Si fuiste tú, no tienes que hacer nada más.',
    notYou:
      'Si no cambiaste tu contraseña, es posible que otra persona tenga acceso a tu cuenta. Restablécela ahora mismo ' +
      'con «¿Olvidaste tu contraseña?» en la página de inicio de sesión y ponte en contacto con nuestro equipo de soporte.',
  },
};
