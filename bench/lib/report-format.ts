import type { CpuShare } from './processes.js';
import { spread, type Spread } from './stats.js';

/** One line of the table: what, resetd's median, the range over runs, what it is compared with, the target, PASS or FALLS SHORT. */
export type Row = [figure: string, resetd: string, runs: string, compared: string, target: string, verdict: string];

/** Records a target met or missed and returns the word for the table. */
export type Verdict = (name: string, measured: string, target: string, pass: boolean) => string;

export const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–');
export const ms = (value: number) =>
  !Number.isFinite(value) ? '–' : value >= 100 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
export const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ×` : '–');
export const percent = (value: number) => (Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : '–');
export const range = (s: Spread, format: (value: number) => string) => (s.runs.length > 1 ? `${format(s.min)} – ${format(s.max)}` : '(1 run)');
export const of = <T>(items: readonly T[], pick: (item: T) => number) => spread(items.map(pick));
export const medianOf = (shares: readonly CpuShare[], name: string) => (shares.length === 0 ? NaN : spread(shares.map((share) => share[name] ?? NaN)).median);
