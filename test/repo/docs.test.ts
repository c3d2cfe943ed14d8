import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('../../', import.meta.url).pathname);
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`), 'bench/README.md', 'bench/findings.md'];

/** The text of a Markdown file outside its fenced code blocks, where a `[x](y)` is not a link. */
function prose(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
}

/** `[text](target)` and `![alt](target)` links, the target without a title. */
function links(path: string): string[] {
  return [...prose(path).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as `-`, repeats numbered. */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(path).matchAll(/^#{1,6} (.+)$/gm)) {
    const text = heading!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = text.toLowerCase().trim().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('the documentation', () => {
  it("shows security.md's Go verifier as examples/go/trust.go has it, which the Go example's test runs", () => {
    const shown = /### Verifying in Go[\s\S]*?```go\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'docs/security.md'), 'utf8'))?.[1];
    expect(shown).toBeDefined();
    expect(readFileSync(join(ROOT, 'examples/go/trust.go'), 'utf8')).toContain(shown);
  });

  it('keeps the README a front door: at most 12 KB', () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThanOrEqual(12 * 1024);
  });

  it.each(DOCS)('%s: every relative link names a file of the repository, and a heading of it where it names one', (path) => {
    const broken: string[] = [];
    for (const link of links(path)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto: leave the repository
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = file === '' ? join(ROOT, path) : resolve(ROOT, dirname(path), decodeURIComponent(file));
      if (relative(ROOT, target).startsWith('..') || !existsSync(target)) {
        broken.push(`${link}: no such file in the repository`);
      } else if (anchor !== undefined && target.endsWith('.md') && !anchors(relative(ROOT, target)).has(anchor)) {
        broken.push(`${link}: no such heading`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds the anchors GitHub makes', () => {
    // The check above is only as good as this: headings with code spans, commas and apostrophes.
    expect([...anchors('docs/security.md')]).toContain('dependencies-and-npm-audit');
    expect([...anchors('docs/architecture.md')]).toContain('exactly-once-and-where-it-can-be-twice');
    expect([...anchors('docs/configuration.md')]).toContain('operators-port');
  });
});
