/**
 * The URL with its password replaced by `***`, fit for a log line, an error, the CLI's output or a
 * span. It reads the raw text and parses nothing: a password holding `/`, `#`, `?` or `@`
 * unencoded makes a URL that does not parse, and that is the one most in need of masking. The
 * userinfo is everything after the scheme up to the LAST `@`; a user name with no password
 * (`nats://<token>@host`, the NATS token form) is masked whole, as it is the secret. A secret in
 * the query (`?password=`, which ioredis reads; any parameter, in the query or the fragment, whose name holds pass, pw(d), secret, token, jwt,
 * cred, session, auth, key or sig: `api_key`, `access_token`, `client_secret`, `sig`) is masked too. An `@` in a path with no userinfo
 * before it hides more than it needs to, never less.
 */
export function maskUrl(raw: string): string {
  const scheme = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\//.exec(raw)?.[0] ?? '';
  const rest = raw.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  const userinfo = at < 0 ? '' : colon >= 0 && colon < at ? `${rest.slice(0, colon)}:***@` : '***@';
  return `${scheme}${userinfo}${rest.slice(at + 1)}`.replace(SECRET_PARAMETER, '$1***');
}

const SECRET_PARAMETER = /([?&;#][^=&#;]*(?:pass|pwd|pw|secret|token|jwt|cred|session|auth|key|sig)[^=&#;]*=)[^&#;]*/gi;
