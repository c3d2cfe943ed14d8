/** A start-up error whose message is the one line an operator needs. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
