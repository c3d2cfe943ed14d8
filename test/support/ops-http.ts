/** A GET on the service's operators port: status and body text. */
export async function opsGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: await response.text() };
}

/**
 * The value of one sample in Prometheus text, 0 when the series is not there yet. `labels` must
 * match the rendered label set exactly (e.g. `outcome="code_sent",reason="none"`).
 */
export function sampleValue(text: string, name: string, labels = ''): number {
  const wanted = labels === '' ? name : `${name}{${labels}}`;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (space > 0 && line.slice(0, space) === wanted) return Number(line.slice(space + 1));
  }
  return 0;
}

/** The metric names of every sample in Prometheus text. */
export function sampleNames(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)![0]);
}
