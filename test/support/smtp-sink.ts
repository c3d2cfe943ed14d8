import type { Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where a failure answers: the greeting, MAIL FROM, RCPT TO, or the end of DATA. */
export type SmtpStage = 'connect' | 'mail' | 'rcpt' | 'data';

/**
 * A reply the sink gives instead of accepting. A bare number answers at MAIL FROM. A 421 also
 * closes the connection, as real servers do.
 */
export type SmtpFailure = number | { readonly code: number; readonly stage?: SmtpStage; readonly message?: string };

export interface SmtpSinkOptions {
  /** The port to listen on; 0 (the default) picks a free one. Restarts keep the port. */
  readonly port?: number;
  /** How long the sink waits before answering the end of DATA, as a slow server would. */
  readonly replyDelayMs?: number;
  /** Recipients for which RCPT TO answers 550. */
  readonly rejectRecipients?: (address: string) => boolean;
  /**
   * Recipients deferred for now: `rcpt` answers 450 to RCPT TO (greylisting), `data` answers 452 at
   * the end of DATA (a full mailbox); undefined accepts.
   */
  readonly deferRecipients?: (address: string) => 'rcpt' | 'data' | undefined;
  /** Hides SMTPUTF8 from the EHLO reply, as a server without it would. */
  readonly withoutSmtpUtf8?: boolean;
  /** A failure in force from the start; see `setFailure`. */
  readonly failAll?: SmtpFailure;
  /** Connections taken at once; more are answered 421, as a provider capping connections does. */
  readonly maxClients?: number;
}

/** One accepted message: its SMTP envelope, its bytes, and mailparser's reading of them. */
export interface SmtpDelivery {
  /** The name the client gave in EHLO (or HELO). */
  readonly ehlo: string;
  readonly mailFrom: string;
  readonly rcptTo: readonly string[];
  readonly raw: Buffer;
  readonly mail: ParsedMail;
}

export interface SmtpSink {
  /** Fixed for the sink's life, across `stop()` and `start()`. */
  readonly port: number;
  /** `smtp://127.0.0.1:<port>`: plain SMTP, no TLS; any login is accepted, none is needed. */
  readonly url: string;
  readonly running: boolean;
  /** Accepted messages in arrival order. A message is here before its sender sees the 250. */
  readonly mails: readonly ParsedMail[];
  /** The same messages, with envelope and raw bytes. */
  readonly deliveries: readonly SmtpDelivery[];
  /** Connections the sink has taken (counted at connect, refused ones included). */
  readonly connections: number;
  /** Transactions begun (MAIL FROM taken), finished or not. */
  readonly transactions: number;
  /** The user and password of each login, in order. */
  readonly logins: readonly { readonly user: string; readonly pass: string }[];
  /** Messages whose envelope named `address` (case-insensitive). */
  mailsTo(address: string): ParsedMail[];
  /** Resolves once `count` messages have arrived in all; rejects after `timeoutMs`. */
  waitForMails(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Resolves with the first message to `address`; rejects after `timeoutMs`. */
  waitForMail(address: string, timeoutMs?: number): Promise<ParsedMail>;
  /** Fails every later transaction as given, or accepts again with `undefined`. */
  setFailure(failure: SmtpFailure | undefined): void;
  setReplyDelay(ms: number): void;
  /**
   * Greets no connection taken from now on until the returned function is called, as a server busy
   * with its checks at connect would: a client waits there for its handshake to finish.
   */
  holdGreetings(): () => void;
  /** Forgets the messages and the connection count. */
  clear(): void;
  /** Drops every open connection at once, as a crashed server would, and stops listening. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
}

type Callback = (err?: Error | null) => void;

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

class SmtpSinkServer implements SmtpSink {
  readonly deliveries: SmtpDelivery[] = [];
  connections = 0;
  transactions = 0;
  readonly logins: { user: string; pass: string }[] = [];
  private port_: number;
  private server: SMTPServer | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: Waiter[] = [];
  /** Greetings held back by `holdGreetings`, while it is in force. */
  private readonly maxClients: number | undefined;
  private heldGreetings: (() => void)[] | undefined;
  private failure: { code: number; stage: SmtpStage; message: string } | undefined;
  private replyDelayMs: number;
  private readonly rejectRecipients: (address: string) => boolean;
  private readonly deferRecipients: (address: string) => 'rcpt' | 'data' | undefined;
  private readonly withoutSmtpUtf8: boolean;

  constructor(options: SmtpSinkOptions) {
    this.port_ = options.port ?? 0;
    this.replyDelayMs = options.replyDelayMs ?? 0;
    this.rejectRecipients = options.rejectRecipients ?? (() => false);
    this.deferRecipients = options.deferRecipients ?? (() => undefined);
    this.withoutSmtpUtf8 = options.withoutSmtpUtf8 ?? false;
    this.maxClients = options.maxClients;
    this.setFailure(options.failAll);
  }

  get port(): number {
    return this.port_;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port_}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get mails(): ParsedMail[] {
    return this.deliveries.map((d) => d.mail);
  }

  mailsTo(address: string): ParsedMail[] {
    const wanted = address.toLowerCase();
    return this.deliveries.filter((d) => d.rcptTo.some((to) => to.toLowerCase() === wanted)).map((d) => d.mail);
  }

  async waitForMails(count: number, timeoutMs = 10_000): Promise<ParsedMail[]> {
    await this.waitFor(() => this.deliveries.length >= count, timeoutMs, () => `${count} mails (have ${this.deliveries.length})`);
    return this.mails;
  }

  async waitForMail(address: string, timeoutMs = 10_000): Promise<ParsedMail> {
    await this.waitFor(() => this.mailsTo(address).length > 0, timeoutMs, () => `a mail to ${address}`);
    return this.mailsTo(address)[0]!;
  }

  setFailure(failure: SmtpFailure | undefined): void {
    if (failure === undefined) {
      this.failure = undefined;
      return;
    }
    const { code, stage = 'mail', message } = typeof failure === 'number' ? { code: failure } : failure;
    this.failure = { code, stage, message: message ?? `Sink failure ${code}` };
  }

  setReplyDelay(ms: number): void {
    this.replyDelayMs = ms;
  }

  holdGreetings(): () => void {
    const held: (() => void)[] = [];
    this.heldGreetings = held;
    return () => {
      if (this.heldGreetings === held) this.heldGreetings = undefined;
      for (const greet of held.splice(0)) greet();
    };
  }

  clear(): void {
    this.deliveries.length = 0;
    this.connections = 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = this.createServer();
    // A port just given up can be taken for a moment by an outgoing socket: try again briefly.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.server.once('error', reject);
          server.listen(this.port_, '127.0.0.1', () => {
            server.server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 40 || this.port_ === 0) throw error;
        await sleep(50);
      }
    }
    const address = server.server.address();
    if (address === null || typeof address === 'string') throw new Error('The SMTP sink has no TCP address');
    this.port_ = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private createServer(): SMTPServer {
    const server = new SMTPServer({
      logger: false,
      // Plain SMTP on loopback: no STARTTLS offered, a login accepted but not required.
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      closeTimeout: 1_000,
      disableReverseLookup: true,
      hideSMTPUTF8: this.withoutSmtpUtf8,
      ...(this.maxClients === undefined ? {} : { maxClients: this.maxClients }),
      onAuth: (auth, _session, callback) => {
        this.logins.push({ user: auth.username ?? '', pass: auth.password ?? '' });
        callback(null, { user: auth.username ?? 'sink' });
      },
      onConnect: (_session, callback) => {
        this.connections += 1;
        if (this.heldGreetings) this.heldGreetings.push(() => this.answer('connect', callback));
        else this.answer('connect', callback);
      },
      onMailFrom: (_address, _session, callback) => {
        this.transactions += 1;
        this.answer('mail', callback);
      },
      onRcptTo: (address, _session, callback) => {
        if (this.rejectRecipients(address.address)) return callback(smtpError(550, `No such user: ${address.address}`));
        if (this.deferRecipients(address.address) === 'rcpt') return callback(smtpError(450, `4.2.0 Greylisted, try again later: ${address.address}`));
        this.answer('rcpt', callback);
      },
      onData: (stream, session, callback) => void this.receive(stream, session, callback),
    });
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    // Clients dropping connections (our own stop() among them) surface here; they are expected.
    server.on('error', () => undefined);
    return server;
  }

  private answer(stage: SmtpStage, callback: Callback): void {
    const failure = this.failure;
    callback(failure?.stage === stage ? smtpError(failure.code, failure.message) : null);
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession, callback: Callback): Promise<void> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const mail = await simpleParser(raw);
      if (this.replyDelayMs > 0) await this.delay(this.replyDelayMs);
      const failure = this.failure;
      if (failure?.stage === 'data') return callback(smtpError(failure.code, failure.message));
      if (session.envelope.rcptTo.some((r) => this.deferRecipients(r.address) === 'data')) return callback(smtpError(452, '4.2.2 Mailbox full, try again later'));
      const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
      this.deliveries.push({ ehlo: session.hostNameAppearsAs, mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), raw, mail });
      this.notify();
      callback(null);
    } catch (error) {
      callback(smtpError(451, `Sink could not read the message: ${String(error)}`));
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`SMTP sink: waited ${timeoutMs} ms for ${what()}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => w.done());
    this.waiters = this.waiters.filter((w) => !w.done());
    for (const waiter of ready) waiter.resolve();
  }
}

/**
 * Starts an SMTP server on 127.0.0.1 that keeps every message it accepts, parsed by mailparser.
 * It can refuse recipients, fail with any reply code, answer slowly, and go down and come back
 * on the same port.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const sink = new SmtpSinkServer(options);
  await sink.start();
  return sink;
}
