import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort, ManagedProcess } from './processes.js';

/** deploy/prometheus, where the scrape configs, rules and rule tests live. */
export const PROMETHEUS_DIR = new URL('../../deploy/prometheus/', import.meta.url).pathname;

/** The path of `name` on PATH, or undefined: Prometheus and promtool are optional in a checkout (Debian's `prometheus` package). */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const PROMTOOL = onPath('promtool');
export const PROMETHEUS = onPath('prometheus');

/** Runs promtool and returns its exit status and everything it printed. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  if (!PROMTOOL) throw new Error('promtool is not installed');
  const result = spawnSync(PROMTOOL, args, { cwd: PROMETHEUS_DIR, input, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** One sample of an instant query: its labels and its value as Prometheus wrote it (NaN included). */
export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: string;
}

export interface AlertState {
  readonly labels: Record<string, string>;
  readonly state: 'pending' | 'firing';
}

export interface RuleHealth {
  readonly name: string;
  readonly type: 'recording' | 'alerting';
  readonly health: string;
  readonly lastError?: string;
}

/**
 * A real Prometheus on loopback with the project's own configuration (deploy/prometheus/prometheus.yml)
 * and rule files, changed only where a test must: its one target, scrape and evaluation every
 * second, and the rule files by absolute path. Its data lives in a temporary directory removed at stop.
 */
export class PrometheusServer {
  private constructor(
    private readonly process: ManagedProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(target: string): Promise<PrometheusServer> {
    if (!PROMETHEUS) throw new Error('prometheus is not installed');
    const dir = mkdtempSync(join(tmpdir(), 'resetd-prometheus-'));
    const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as PrometheusConfig;
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((file) => join(PROMETHEUS_DIR, file));
    const [job] = config.scrape_configs;
    if (!job || config.scrape_configs.length !== 1) throw new Error('deploy/prometheus/prometheus.yml should scrape one job, resetd');
    job.scrape_timeout = '1s';
    job.static_configs = [{ targets: [target] }];
    writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ];
    const process = await ManagedProcess.start('prometheus', PROMETHEUS, args, /Server is ready to receive web requests/);
    return new PrometheusServer(process, dir, port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query; throws with Prometheus's error when the expression does not evaluate. */
  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not an instant vector`);
    return data.result.map((sample) => ({ metric: sample.metric, value: (sample.value as unknown as [number, string])[1] }));
  }

  async alerts(): Promise<AlertState[]> {
    return (await this.api<{ alerts: AlertState[] }>('/api/v1/alerts')).alerts;
  }

  async rules(): Promise<RuleHealth[]> {
    const data = await this.api<{ groups: { rules: RuleHealth[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((group) => group.rules);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async api<T>(path: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  }
}

interface PrometheusConfig {
  global?: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: { scrape_timeout?: string; static_configs?: { targets: string[] }[] }[];
}
