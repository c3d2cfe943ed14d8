/** The URL with its password replaced by `***`, fit for a log line or an error message. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
  }
}
