/**
 * The URL with its password replaced by `***`, fit for a log line or an error message. A user
 * name with no password (`nats://<token>@host`, the NATS token form) is masked too: it is the secret.
 */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    else if (url.username) url.username = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@').replace(/\/\/[^:@/]+@/, '//***@');
  }
}
