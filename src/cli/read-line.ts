import { createInterface } from 'node:readline';

/**
 * The first line of `input`, without its line break; `''` when the input ends before one. Only
 * that line is read: what follows stays unread.
 */
export async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}
