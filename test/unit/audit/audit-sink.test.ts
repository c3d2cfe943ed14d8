import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditSink } from '../../../src/adapters/audit/audit-sink.js';

describe('the audit sink', () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-sink-'));
    dirs.push(dir);
    return join(dir, 'nested', 'audit.log');
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('writes the lines of one turn of the event loop together at its end, in order', async () => {
    const file = fileIn();
    const sink = createAuditSink(file);
    sink.write('{"n":1}\n');
    sink.write('{"n":2}\n');
    expect(readFileSync(file, 'utf8')).toBe('');
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    sink.write('{"n":3}\n');
    sink.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
  });

  it('writes what is left when the process exits before the end of the turn', () => {
    const file = fileIn();
    const before = new Set(process.listeners('exit'));
    const sink = createAuditSink(file);
    const onExit = process.listeners('exit').find((listener) => !before.has(listener));
    expect(onExit).toBeDefined();
    sink.write('{"last":true}\n');
    // What process.exit() runs: the 'exit' listeners, synchronously, and nothing scheduled after.
    onExit!.call(process, 0);
    expect(readFileSync(file, 'utf8')).toBe('{"last":true}\n');
    sink.close();
    expect(process.listeners('exit')).not.toContain(onExit);
  });
});
