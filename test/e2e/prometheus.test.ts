import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardQueries } from '../support/grafana-dashboard.js';
import { codeIn } from '../support/mail-code.js';
import { TestClient, uniquePrefix, waitFor } from '../support/nats.js';
import { opsGet } from '../support/ops-http.js';
import { freePort } from '../support/processes.js';
import { PROMETHEUS, PROMTOOL, PrometheusServer, promtool, type Sample } from '../support/prometheus.js';
import { ServiceProcess } from '../support/service-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

/** `npm run screenshots:prometheus` sets it: where to draw the flow panel from this run's Prometheus. */
const GRAPH_PNG = process.env.PROMETHEUS_GRAPH_PNG;
const JOB = 'resetd';

if (!PROMETHEUS || !PROMTOOL) console.warn('prometheus or promtool is not installed (apt-get install prometheus): the Prometheus end-to-end test is skipped');

/** True when every sample is a number Prometheus could compute (a ratio of nothing is NaN). */
const computed = (samples: Sample[]) => samples.length > 0 && samples.every((sample) => Number.isFinite(Number(sample.value)));

describe.skipIf(!PROMETHEUS || !PROMTOOL)('a real Prometheus scraping resetd, with the project rules and dashboard', () => {
  const prefix = uniquePrefix('prom');
  let sink: SmtpSink;
  let client: TestClient;
  let service: ServiceProcess;
  let prometheus: PrometheusServer;
  let opsPort: number;
  let started: number;

  beforeAll(async () => {
    started = Date.now();
    sink = await startSmtpSink();
    client = await TestClient.connect(prefix);
    opsPort = await freePort();
    [service, prometheus] = await Promise.all([
      ServiceProcess.start({ RESET_SUBJECT_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, SMTP_URL: sink.url, OPS_HTTP_PORT: String(opsPort), OPS_HTTP_HOST: '127.0.0.1' }),
      PrometheusServer.start(`127.0.0.1:${opsPort}`),
    ]);
    // A counter that rose before Prometheus first saw it shows in no rate.
    await waitFor(async () => (await prometheus.query(`up{job="${JOB}"} == 1`)).length === 1, 10_000, 100);
    await client.watchEvents();
  });

  afterAll(async () => {
    await prometheus?.stop();
    expect(await service?.stop()).toBe(0);
    await client?.close();
    await sink?.stop();
  });

  it('serves /metrics that promtool check metrics finds no problem in, once every instrument has data', async () => {
    for (let user = 1; user <= 4; user += 1) {
      const email = `prom-${user}@example.com`;
      const resetId = await client.requestReset({ userId: `u-prom-${user}`, email });
      await client.waitForEvent(resetId, 'reset.code.sent');
      const code = codeIn((await sink.waitForMail(email)).text ?? '');
      expect(await client.verify({ resetId, code: code === '000000' ? '111111' : '000000' })).toMatchObject({ status: 'invalid_code' });
      await client.submitCode(resetId, code);
      await client.waitForEvent(resetId, 'reset.completed');
    }
    // A second request inside the cooldown: a limit hit.
    const refused = await client.requestReset({ userId: 'u-prom-1', email: 'prom-1@example.com' });
    await client.waitForEvent(refused, 'reset.rejected');

    const metrics = (await opsGet(opsPort, '/metrics')).body;
    expect(metrics).toMatch(/^resetd_request_to_mail_seconds_bucket\{le="\+Inf"\} 4$/m);
    const { status, output } = promtool(['check', 'metrics'], metrics);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('shows the SMTP outage: the breaker alert goes pending and the oldest inbox message ages', async () => {
    await sink.stop();
    const waiting = await Promise.all([5, 6, 7, 8, 9, 10].map((user) => client.requestReset({ userId: `u-prom-${user}`, email: `prom-${user}@example.com` })));
    // The rule file as shipped, for: 3m included: an alert whose condition holds is pending at once.
    await waitFor(async () => (await prometheus.alerts()).some((alert) => alert.labels.alertname === 'ResetdMailBreakerOpen' && alert.state === 'pending'), 30_000, 250);
    await waitFor(async () => computed(await prometheus.query(`job:resetd_inbox_oldest_message_age_seconds:max{job="${JOB}"} > 1`)), 30_000, 250);
    // A probe out (half-open) counts as usable, so the last scrape alone may have caught a passing check.
    expect(await prometheus.query(`min_over_time(resetd_readiness_check{check="smtp"}[30s])`)).toEqual([expect.objectContaining({ value: '0' })]);

    await sink.start();
    for (const resetId of waiting) await client.waitForEvent(resetId, 'reset.code.sent', 30_000);
    await waitFor(async () => !(await prometheus.alerts()).some((alert) => alert.labels.alertname === 'ResetdMailBreakerOpen'), 30_000, 250);
  });

  it('evaluates every recording and alerting rule without error, every recording rule with data', async () => {
    const rules = await prometheus.rules();
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([]);
    // Rules are evaluated each second on a machine the whole suite shares: a quantile may need one
    // more evaluation after the outage's burst before its window holds data again.
    for (const rule of rules.filter((r) => r.type === 'recording')) {
      await waitFor(async () => computed(await prometheus.query(rule.name)), 15_000, 250).catch(() => undefined);
      expect(computed(await prometheus.query(rule.name)), rule.name).toBe(true);
    }
    expect(rules.filter((rule) => rule.type === 'recording').length).toBeGreaterThan(10);
  });

  it('answers every dashboard query with data', async () => {
    const queries = dashboardQueries(JOB);
    expect(queries.length).toBeGreaterThan(15);
    for (const query of queries) expect(computed(await prometheus.query(query.expr)), `${query.panel}: ${query.expr}`).toBe(true);
  });

  it.runIf(GRAPH_PNG)('draws the flow panel in Prometheus own graph page with headless Chromium', () => {
    const flow = dashboardQueries(JOB).filter((query) => query.panel.startsWith('Flow'));
    // One graph, one line per step of the flow, named by a `step` label.
    const expr = flow.map((query) => `label_replace(${query.expr}, "step", "${query.legend}", "", "")`).join(' or ');
    // The whole run, and the time Chromium takes before it asks for the data.
    const seconds = Math.ceil((Date.now() - started) / 1000) + 20;
    const url = `${prometheus.url}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.range_input=${seconds}s`;
    const out = resolve(GRAPH_PNG!);
    const profile = mkdtempSync(join(tmpdir(), 'resetd-chromium-'));
    try {
      execFileSync('/usr/bin/chromium', [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
        `--user-data-dir=${profile}`, '--hide-scrollbars', '--window-size=1200,1000', '--virtual-time-budget=10000', `--screenshot=${out}`, url,
      ], { stdio: 'ignore', timeout: 60_000 });
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
    expect(statSync(out).size).toBeGreaterThan(10_000);
  });
});
