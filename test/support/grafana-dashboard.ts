import { readFileSync } from 'node:fs';

export const DASHBOARD_FILE = new URL('../../deploy/grafana/resetd.json', import.meta.url).pathname;

interface Datasource {
  readonly type?: string;
  readonly uid?: string;
}

export interface DashboardPanel {
  readonly title: string;
  readonly type: string;
  readonly datasource?: Datasource;
  readonly targets: readonly { readonly refId: string; readonly datasource?: Datasource; readonly expr?: string; readonly legendFormat?: string }[];
}

/** The dashboard's panels that draw data (rows are only headings), in their order on the page. */
export function dashboardPanels(): DashboardPanel[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: (DashboardPanel & { panels?: DashboardPanel[] })[] };
  return dashboard.panels.flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
}

/** Every panel's expressions as Prometheus runs them once Grafana has put the chosen job in for `$job`. */
export function dashboardQueries(job: string): { panel: string; legend: string; expr: string }[] {
  return dashboardPanels().flatMap((panel) =>
    panel.targets.map((target) => ({ panel: panel.title, legend: target.legendFormat ?? target.refId, expr: (target.expr ?? '').replaceAll('$job', job) })),
  );
}
