import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { OpsServer } from '../../../src/app/ops-server.js';

describe('the operators port turned off', () => {
  it('says so in one info line naming OPS_HTTP_PORT=0, and listens nowhere', async () => {
    const records: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line) as { level: number; msg: string }) });
    const ops = new OpsServer({ host: '127.0.0.1', port: 0, checks: [], log });

    await ops.start();

    expect(ops.address).toBeUndefined();
    expect(records).toEqual([expect.objectContaining({ level: 30, msg: expect.stringMatching(/^ops HTTP off \(OPS_HTTP_PORT=0\)/) })]);
    await ops.stop();
  });
});
