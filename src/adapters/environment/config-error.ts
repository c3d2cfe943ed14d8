/**
 * Start-up errors in the configuration: each of `problems` is the one line an operator needs for
 * one variable, so that one start reports them all rather than one per attempt.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.problems = list;
  }
}
