import { readFileSync } from 'node:fs';

/**
 * The flags `npm start` gives `node` before resetd's entry point (the heap's ceiling), so that
 * the Dockerfile and the bench run the service exactly as `npm start` does. `root`: the project's directory.
 */
export function serviceNodeFlags(root: URL): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
  const match = /\bnode((?:\s+--\S+)*)\s+dist\/src\/app\/main\.js/.exec(scripts.start ?? '');
  if (!match) throw new Error('the start script does not run node dist/src/app/main.js');
  return match[1]!.split(/\s+/).filter(Boolean);
}
