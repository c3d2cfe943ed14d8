/** Why a first connection to NATS failed: the server refused the login, TLS failed, or no server answered. */
export type NatsConnectFailure = 'login' | 'tls' | 'unreachable';

/** Reads nats.js's error (and its causes); its messages name no secret. */
export function natsConnectFailure(error: unknown): NatsConnectFailure {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = e instanceof Error ? e.cause : undefined, depth += 1) {
    if (e instanceof Error) parts.push(e.name, e.message, String((e as NodeJS.ErrnoException).code ?? ''));
    else parts.push(String(e));
  }
  const text = parts.join(' ');
  if (/AuthorizationError|authori[sz]ation violation|UserAuthenticationExpired|authentication/i.test(text)) return 'login';
  if (/certificate|CERT_|TLS|SSL|handshake|self.signed|unable to verify/i.test(text)) return 'tls';
  return 'unreachable';
}

/** One line on the failure, naming the servers (passwords masked by the caller) and never a secret. */
export function natsConnectFailureLine(error: unknown, servers: string): string {
  const reason = error instanceof Error ? error.message : String(error);
  switch (natsConnectFailure(error)) {
    case 'login':
      return `NATS at ${servers} refused the login: ${reason}`;
    case 'tls':
      return `TLS with NATS at ${servers} failed: ${reason}`;
    case 'unreachable':
      return `cannot reach NATS at ${servers}: ${reason}`;
  }
}
