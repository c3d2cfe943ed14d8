import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';

export type SocketCallback = (error: Error | null, socketOptions?: { connection: Socket }) => void;

/** What opening a session needs: nodemailer's connection options, the login, and where the socket comes from. */
export type SmtpSessionOptions = SMTPConnection.Options & {
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Opens the TCP connection (nodemailer's hook of the same name); without it, SMTPConnection opens its own. */
  readonly getSocket?: (options: unknown, callback: SocketCallback) => void;
};

/** A connection that has greeted us, upgraded to TLS where asked, and taken our login. */
export interface SmtpSession {
  readonly connection: SMTPConnection;
  /** The reply to the last EHLO (after STARTTLS if there was one): the extensions in force. */
  readonly extensions: string;
}

/**
 * Opens a session as nodemailer's transports do: socket, greeting, EHLO, TLS (from the start or by
 * STARTTLS), and the login when the server offers AUTH. Calls back once, with the session or with
 * the first failure; a failed connection is closed.
 */
export function openSmtpSession(options: SmtpSessionOptions, callback: (error: Error | null, session?: SmtpSession) => void): void {
  let settled = false;
  const settle = (error: Error | null, session?: SmtpSession) => {
    if (settled) return;
    settled = true;
    callback(error, session);
  };
  const withSocket = (connect: (socket?: Socket) => void) =>
    options.getSocket ? options.getSocket(options, (error, socketOptions) => (error ? settle(error) : connect(socketOptions?.connection))) : connect();
  withSocket((socket) => {
    const connection = new SMTPConnection(socket ? { ...options, connection: socket } : options);
    const fail = (error: Error) => {
      settle(error);
      connection.close();
    };
    const ended = () => fail(new Error('The SMTP server closed the connection'));
    // Not once: the socket may report again after the first failure, and an unheard 'error' would throw.
    connection.on('error', fail);
    connection.once('end', ended);
    connection.connect((error) => {
      if (error) return fail(error);
      const extensions = String(connection.lastServerResponse);
      // The session's owner listens from here on, in the same tick.
      const ready = () => {
        connection.off('error', fail);
        connection.off('end', ended);
        settle(null, { connection, extensions });
      };
      if (options.auth === undefined || !connection.allowsAuth) return ready();
      // login() writes into the object it is given: a copy keeps the caller's own untouched.
      connection.login({ ...options.auth }, (loginError) => (loginError ? fail(loginError) : ready()));
    });
  });
}
