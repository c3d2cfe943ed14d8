/** Why a first connection to Redis failed: the server refused the login, TLS failed, or no server answered. */
export type RedisConnectFailure = 'login' | 'tls' | 'unreachable';

/** Reads the error ioredis reported; Redis's replies (`WRONGPASS`, `NOAUTH`) and TLS errors name no secret. */
export function redisConnectFailure(error: unknown): RedisConnectFailure {
  const text = error instanceof Error ? `${error.message} ${String((error as NodeJS.ErrnoException).code ?? '')}` : String(error);
  if (/WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(text)) return 'login';
  if (/certificate|CERT_|TLS|SSL|self.signed|unable to verify|EPROTO/i.test(text)) return 'tls';
  return 'unreachable';
}
