/**
 * The bench's SMTP server, a process of its own: it stands for a remote mail provider. Every reply
 * it writes (greeting, EHLO, MAIL, RCPT, DATA, end of data, QUIT) leaves `BENCH_SMTP_DELAY_MS`
 * late, as if the provider were that far away, and nothing is parsed or kept but each mail's code,
 * read with one regular expression so the bench can submit it to `reset.verify`.
 *
 * Talks to the bench over the IPC channel: `{ ready: port }` once listening, then batches of
 * `{ codes: [[recipient, code], …] }`; answers `{ stats }` to `'stats'`. Exits when the bench goes.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

const delayMs = Number(process.env.BENCH_SMTP_DELAY_MS ?? '5');
const port = Number(process.env.BENCH_SMTP_PORT ?? '0');
// With a key and certificate, STARTTLS is offered, as every provider does.
const keyFile = process.env.BENCH_SMTP_TLS_KEY;
const certFile = process.env.BENCH_SMTP_TLS_CERT;
const tls = keyFile && certFile ? { key: readFileSync(keyFile), cert: readFileSync(certFile) } : undefined;

// The code sits alone on a line of the text part, indented by four spaces (see code-mail-layout.ts).
const CODE_LINE = /\n {4}(\d{4,10})\r?\n/;

let mails = 0;
let connections = 0;
let bytes = 0;
let pending: Array<[string, string]> = [];

/** Delays every write by the same time, so replies keep their order and each one arrives late. */
function delayReplies(socket: Socket): void {
  // The provider stands at a distance; what it does with Nagle's algorithm is not the point here.
  socket.setNoDelay(true);
  if (delayMs <= 0) return;
  const write = socket.write.bind(socket) as (chunk: string | Uint8Array) => boolean;
  socket.write = ((chunk: string | Uint8Array) => {
    setTimeout(() => {
      if (!socket.destroyed) write(chunk);
    }, delayMs);
    return true;
  }) as Socket['write'];
}

const server = new SMTPServer({
  logger: false,
  disabledCommands: tls ? ['AUTH'] : ['STARTTLS', 'AUTH'],
  ...tls,
  authOptional: true,
  disableReverseLookup: true,
  closeTimeout: 1_000,
  size: 1024 * 1024,
  // After STARTTLS the replies go through the TLS socket: delay those too.
  onSecure: (socket, _session, callback) => {
    delayReplies(socket as Socket);
    callback();
  },
  onConnect: (_session, callback) => {
    connections += 1;
    callback();
  },
  onData: (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      mails += 1;
      const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      bytes += raw.byteLength;
      const code = CODE_LINE.exec(raw.toString('latin1'))?.[1];
      const to = session.envelope.rcptTo[0]?.address;
      if (code !== undefined && to !== undefined) pending.push([to, code]);
      callback();
    });
  },
});
server.server.prependListener('connection', delayReplies);
server.on('error', () => undefined);

const flush = setInterval(() => {
  if (pending.length === 0 || !process.connected) return;
  process.send?.({ codes: pending });
  pending = [];
}, 100);

process.on('message', (message) => {
  if (message === 'stats') process.send?.({ stats: { mails, connections, bytes } });
});
process.on('disconnect', () => {
  clearInterval(flush);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});

server.listen(port, '127.0.0.1', () => {
  const address = server.server.address();
  process.send?.({ ready: typeof address === 'object' && address !== null ? address.port : 0 });
});
