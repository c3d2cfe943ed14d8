import fs, { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuditSink } from '../../../src/adapters/audit/audit-sink.js';

const SILENT = pino({ level: 'silent' });

/** A logger whose records are kept, and the messages of those it wrote. */
function recordingLogger() {
  const records: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, messages: () => records.map((record) => record.msg) };
}

/** Makes every write of audit lines fail as a full disk does, until `restore()`. */
function diskFull() {
  const writeSync = fs.writeSync.bind(fs) as (...args: unknown[]) => number;
  return vi.spyOn(fs, 'writeSync').mockImplementation(((...args: unknown[]) => {
    if (String(args[1]).includes('"n":')) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return writeSync(...args);
  }) as typeof fs.writeSync);
}

const aTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('the audit sink', () => {
  const dirs: string[] = [];
  const fileIn = () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-sink-'));
    dirs.push(dir);
    return join(dir, 'nested', 'audit.log');
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('makes its file readable by its owner and group only, one made before too: each record holds a user id, an IP and a user agent', async () => {
    const file = fileIn();
    fs.mkdirSync(join(file, '..'), { recursive: true });
    fs.writeFileSync(file, '', { mode: 0o666 });
    fs.chmodSync(file, 0o666);
    const sink = createAuditSink(file, SILENT);
    sink.write('{"n":1}');
    await aTurn();
    sink.close();
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
  });

  it('writes the lines of one turn of the event loop together at its end, in order', async () => {
    const file = fileIn();
    const sink = createAuditSink(file, SILENT);
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
    const sink = createAuditSink(file, SILENT);
    const onExit = process.listeners('exit').find((listener) => !before.has(listener));
    expect(onExit).toBeDefined();
    sink.write('{"last":true}\n');
    // What process.exit() runs: the 'exit' listeners, synchronously, and nothing scheduled after.
    onExit!.call(process, 0);
    expect(readFileSync(file, 'utf8')).toBe('{"last":true}\n');
    sink.close();
    expect(process.listeners('exit')).not.toContain(onExit);
  });

  it('holds the lines a full disk refuses, says so once, and writes them before the next once the disk takes them', async () => {
    const file = fileIn();
    const { log, messages } = recordingLogger();
    const sink = createAuditSink(file, log);
    const full = diskFull();
    sink.write('{"n":1}\n');
    await aTurn();
    sink.write('{"n":2}\n');
    await aTurn();
    full.mockRestore();
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(messages()).toEqual(['audit records cannot be written; held in memory and written once the file takes them']);

    sink.write('{"n":3}\n');
    await aTurn();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    expect(messages().at(-1)).toBe('audit records written again');
    sink.close();
  });

  it('drops what is past its ceiling while the disk is full, and says so once', async () => {
    const file = fileIn();
    const { log, messages } = recordingLogger();
    const sink = createAuditSink(file, log, 40);
    const full = diskFull();
    for (const n of [1, 2, 3, 4, 5, 6, 7]) {
      sink.write(`{"n":${n}}\n`);
      await aTurn();
    }
    full.mockRestore();
    sink.write('{"n":8}\n');
    await aTurn();
    sink.close();
    // The failed write of the first line is kept apart; 40 bytes hold the next five lines of eight: the sixth is dropped.
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n{"n":6}\n{"n":8}\n');
    expect(messages()).toEqual([
      'audit records cannot be written; held in memory and written once the file takes them',
      'audit records dropped: more than 40 bytes held back',
      'audit records written again',
    ]);
  });
});
