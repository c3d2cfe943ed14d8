/** The exhaustive end of a `switch` over a closed union: the compiler proves it is never reached. */
export function unreachable(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
