/**
 * resetd's own cost per request, without the servers: the inbox router, the domain and every
 * adapter of the request path as the composition root wires them (validation, span, audit scope,
 * rate limiter and code store with their script arguments and reply decoding, retry and breaker,
 * traced mailer, signed publish, audit record, metrics), with Redis, JetStream and SMTP answering
 * at once. What it prints is the JavaScript the service adds to each request, apart from the
 * libraries' I/O: a quick, quiet measure while changing that path (`npm run bench` is the real one).
 *
 *   node dist/bench/request-path.js [--n=20000] [--no-signing] [--tracing]
 *
 * `--tracing`: spans recorded as shipped (each request carries a sampled `traceparent`, a batch
 * span processor) and serialised as the OTLP/HTTP exporter does, but not sent.
 *
 * Add `node --cpu-prof` or `--heap-prof` to see where the time or the garbage goes.
 */
import { measureRequestPath } from './lib/request-path.js';

const flag = (name: string) => process.argv.includes(`--${name}`);
const n = Number(process.argv.find((arg) => arg.startsWith('--n='))?.slice(4) ?? 20_000);
const signing = !flag('no-signing');
const tracing = flag('tracing');
const { cpuMicros, spansPerRequest } = await measureRequestPath({ n, warmUp: 3_000, signing, tracing });
process.stdout.write(`${cpuMicros.toFixed(1)} µs of CPU per request (${n} requests${signing ? '' : ', no signing'}${tracing ? `, tracing on: ${spansPerRequest.toFixed(2)} spans a request` : ''})\n`);
