/**
 * Prefixes resetd shares with programs that read the rest of them: Node.js (`NODE_OPTIONS`) and the
 * OpenTelemetry SDK (every other `OTEL_*`, some a letter away from resetd's own, `OTEL_BLRP_…`
 * beside `OTEL_BSP_…`): under them only one of resetd's names in another case (`node_env`) is named.
 */
const SHARED_PREFIXES = new Set(['NODE_', 'OTEL_']);

/**
 * What Kubernetes sets in every pod for each Service of its namespace: a Service named `redis` or
 * `nats` gives `REDIS_PORT`, `REDIS_SERVICE_HOST`, `NATS_PORT_4222_TCP_ADDR`, … none of them a slip.
 */
const KUBERNETES_SERVICE = /_(SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)?)$/;

/**
 * The names among `names` that look like resetd's but are none of `known`: they start, in any case,
 * with the prefix of one of `known` (`RESET_`, `SMTP_`, …), as `RESET_SUBJECT_PREFX` or
 * `reset_cooldown_seconds` do. Each comes with the known name it is a slip away from, if one is:
 * `RESET_SUBJECT_PREFX (did you mean RESET_SUBJECT_PREFIX?)`. Such a variable is ignored, so an
 * operator who meant to set something learns it at start rather than from its effect.
 */
export function unknownVariables(names: Iterable<string>, known: readonly string[]): string[] {
  const prefixes = new Set(known.map(prefixOf));
  return [...names].flatMap((name) => {
    const upper = name.toUpperCase();
    if (known.includes(name) || !prefixes.has(prefixOf(upper)) || KUBERNETES_SERVICE.test(name)) return [];
    if (SHARED_PREFIXES.has(prefixOf(upper))) return known.includes(upper) ? [`${name} (did you mean ${upper}?)`] : [];
    const nearest = nearestOf(upper, known);
    return [nearest === undefined ? name : `${name} (did you mean ${nearest}?)`];
  });
}

/** `RESET_` of `RESET_SUBJECT_PREFIX`; empty for a name without `_`. */
const prefixOf = (name: string): string => name.slice(0, name.indexOf('_') + 1);

/**
 * The first of `known` closest to `name` (upper-cased), if it is within a slip: one edit for a
 * short name, two from 12 characters. More would pair unrelated names (`SMTP_PORT` with `SMTP_POOL`).
 */
function nearestOf(name: string, known: readonly string[]): string | undefined {
  const slips = name.length < 12 ? 1 : 2;
  let nearest: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= slips && (nearest === undefined || distance < nearest.distance)) nearest = { name: candidate, distance };
  }
  return nearest?.name;
}

/** Letters inserted, deleted, replaced or two neighbours swapped to turn `a` into `b` (optimal string alignment). */
function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between the first i letters of a and the first j of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + Number(a[i - 1] !== b[j - 1]));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      rows[i]![j] = distance;
    }
  }
  return at(a.length, b.length);
}
