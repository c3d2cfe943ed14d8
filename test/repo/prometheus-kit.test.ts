import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardPanels } from '../support/grafana-dashboard.js';
import { PROMETHEUS_DIR, PROMTOOL, promtool } from '../support/prometheus.js';

interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const ruleFile = (name: string): Rule[] =>
  (parse(readFileSync(join(PROMETHEUS_DIR, 'rules', name), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
const recording = ruleFile('resetd-recording.yml');
const alerts = ruleFile('resetd-alerts.yml');
const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
const CONFIGS = ['prometheus.yml', 'prometheus-kubernetes.yml'];
const RULE_TESTS = readdirSync(join(PROMETHEUS_DIR, 'tests')).filter((file) => file.endsWith('.yml')).map((file) => `tests/${file}`);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

if (!PROMTOOL) console.warn('promtool is not installed (apt-get install prometheus): the promtool checks of deploy/prometheus are skipped');

describe.skipIf(!PROMTOOL)('deploy/prometheus, checked by promtool', () => {
  it.each(CONFIGS)('promtool check config %s', (config) => {
    const { status, output } = promtool(['check', 'config', config]);
    expect(output).toContain(`SUCCESS: ${config} is valid prometheus config file syntax`);
    expect(status, output).toBe(0);
  }, 30_000);

  it('promtool check rules', () => {
    const { status, output } = promtool(['check', 'rules', 'rules/resetd-recording.yml', 'rules/resetd-alerts.yml']);
    expect(output).toContain(`SUCCESS: ${recording.length} rules found`);
    expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
    expect(status, output).toBe(0);
  }, 30_000);

  it('promtool test rules: every alert fires on a series that should, and not on one that should not', () => {
    const { status, output } = promtool(['test', 'rules', ...RULE_TESTS]);
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
    const tests = RULE_TESTS.flatMap((file) =>
      (parse(readFileSync(join(PROMETHEUS_DIR, file), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }).tests,
    ).flatMap((test) => test.alert_rule_test ?? []);
    for (const { alert } of alerts) {
      expect(tests.some((t) => t.alertname === alert && (t.exp_alerts ?? []).length > 0), `${alert} is shown to fire`).toBe(true);
      expect(tests.some((t) => t.alertname === alert && (t.exp_alerts ?? []).length === 0), `${alert} is shown to stay quiet`).toBe(true);
    }
  }, 30_000);
});

describe('the alerts', () => {
  it.each(alerts.map((rule) => [rule.alert!, rule] as const))('%s has a severity, a summary, and a runbook entry in docs/operations.md', (name, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    expect(rule.annotations?.summary).toBeTruthy();
    expect(rule.annotations?.runbook_url).toBe(`https://github.com/example/resetd/blob/main/docs/operations.md#${name.toLowerCase()}`);
    const headings = [...operations.matchAll(/^### (.+)$/gm)].map((match) => anchor(match[1]!));
    expect(headings).toContain(name.toLowerCase());
  });

  it('have their runbook under "## Alerts and runbook"', () => {
    const section = operations.split(/^## /m).find((part) => part.startsWith('Alerts and runbook'));
    expect(section).toBeDefined();
    for (const { alert } of alerts) expect(section).toContain(`### ${alert}`);
  });
});

describe('the Grafana dashboard', () => {
  const panels = dashboardPanels();
  const recorded = new Set(recording.map((rule) => rule.record!));
  // Gauges need no rule: the panel reads them per instance as they are.
  const raw = new Set(['resetd_breaker_state', 'resetd_messages_in_flight', 'resetd_readiness_check', 'up']);

  it('has a panel for each part an operator asks about', () => {
    const titles = panels.map((panel) => panel.title).join('\n');
    for (const part of [/^Flow: requested → mailed → verified → completed$/m, /^Request to mail$/m, /^SMTP failures/m, /^Breaker/m, /backlog/im, /^Verifications/m, /limit/im, /per instance$/m]) {
      expect(titles).toMatch(part);
    }
  });

  it.each(panels.map((panel) => [panel.title, panel] as const))('%s: Prometheus data source, an expression per query, on recording rules', (_title, panel) => {
    const datasource = { type: 'prometheus', uid: '${datasource}' };
    expect(panel.datasource).toEqual(datasource);
    expect(panel.targets.length).toBeGreaterThan(0);
    for (const target of panel.targets) {
      expect(target.datasource).toEqual(datasource);
      expect(target.expr).toMatch(/\{job="\$job"/);
      const names = [...target.expr!.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((match) => match[1]!);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(recorded.has(name) || raw.has(name), `${name} in ${target.expr}`).toBe(true);
    }
  });
});
