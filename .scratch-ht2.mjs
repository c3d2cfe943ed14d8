import { pino } from 'pino';
import { connect } from 'node:net';
import { OpsServer } from '/work/main/dist/src/app/ops-server.js';
const ops = new OpsServer({ host: '127.0.0.1', port: 18779, checks: [], log: pino({ level: 'silent' }), limits: { maxConnections: 8, headersTimeoutMs: 500 } });
await ops.start();
const t0 = Date.now();
for (let i = 0; i < 3; i++) {
  const s = connect(18779, '127.0.0.1');
  s.on('data', d => console.log(i, 'data', JSON.stringify(d.toString().slice(0, 40))));
  s.on('close', () => console.log(i, 'closed', Date.now() - t0));
  s.on('error', e => console.log(i, 'err', e.code));
  s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'));
}
setTimeout(() => process.exit(0), 3000);
