/**
 * Turns benchmark results into text tables (one per case) or JSON, with the
 * speed-up of every row over every other row of the same case.
 */
import { describeProbe } from './cpu-probe.js';
import type { CaseResult, RowResult } from './run.js';

/** Facts about the machine and runtimes, printed with the results. */
export interface Environment {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  /** 1-minute load average at the start and at the end; above the core count, timings are inflated. */
  readonly loadAverage: readonly [number, number];
  /** The CPU probe's milliseconds at the start and at the end (see cpu-probe.ts). */
  readonly cpuProbeMs?: readonly [number, number];
  readonly notes: readonly string[];
}

/**
 * How many times faster `row` is than `other` (time ratio; for GFLOP/s the
 * same number), or undefined when either failed.
 *
 * @param row - the row being described
 * @param other - the row compared with
 * @returns other's time / row's time
 */
export function speedup(row: RowResult, other: RowResult): number | undefined {
  if (row.medianMs === undefined || other.medianMs === undefined) return undefined;
  return other.medianMs / row.medianMs;
}

function formatValue(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function formatRatio(r: number | undefined): string {
  if (r === undefined) return '—';
  if (r >= 10) return `${r.toFixed(0)}×`;
  return r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`;
}

/** (slowest − fastest rep) / median, as a percentage; blank with fewer than two reps. */
function formatSpread(row: RowResult): string {
  const reps = row.repMs;
  if (!reps || reps.length < 2 || row.medianMs === undefined) return '';
  return `±${((50 * (Math.max(...reps) - Math.min(...reps))) / row.medianMs).toFixed(0)}%`;
}

function pad(text: string, width: number, isRight: boolean): string {
  return isRight ? text.padStart(width) : text.padEnd(width);
}

/** Renders rows as aligned columns; `rightAligned[i]` right-aligns column i. */
function renderTable(
  header: readonly string[],
  body: readonly (readonly string[])[],
  rightAligned: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => pad(c, widths[i]!, rightAligned[i] ?? false)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * One case as a text table with notes below it.
 *
 * @param result - the case
 * @returns the table
 */
export function formatCase(result: CaseResult): string {
  const { rows, unit } = result;
  const hasOps = rows.some((r) => r.opsPerStep !== undefined);
  const header = ['#', 'implementation', 'dtype', unit, 'spread'];
  if (hasOps) header.push('ops/step', 'M ops/s');
  rows.forEach((_, k) => header.push(`vs #${k + 1}`));
  const body = rows.map((row, k) => {
    const shown = row.value === undefined ? 'failed' : formatValue(row.value);
    const cells = [String(k + 1), row.implementation, row.dtype, shown, formatSpread(row)];
    if (hasOps) {
      cells.push(
        row.opsPerStep === undefined ? '' : String(row.opsPerStep),
        row.opsPerSecond === undefined ? '' : (row.opsPerSecond / 1e6).toFixed(2),
      );
    }
    rows.forEach((other, j) => cells.push(j === k ? '' : formatRatio(speedup(row, other))));
    return cells;
  });
  const rightAligned = header.map((_, i) => i === 0 || i >= 3);
  const direction = result.isHigherBetter ? 'higher is better' : 'lower is better';
  const title = `${result.id}  (${unit}, ${direction}; "vs #k" = how many times faster than row k)`;
  const notes = rows.map((row, k) => {
    if (row.error !== undefined) {
      const limit = row.limitN === undefined ? '' : `; works up to N ≈ ${row.limitN}`;
      return `  #${k + 1} failed: ${row.error}${limit}`;
    }
    return `  #${k + 1} ${row.check ?? ''}`;
  });
  const caseNotes = (result.notes ?? []).map((n) => `  ${n}`);
  return [title, renderTable(header, body, rightAligned), ...notes, ...caseNotes].join('\n');
}

/**
 * All cases as text.
 *
 * @param results - the cases
 * @param env - machine facts and notes
 * @returns the report
 */
export function formatReport(results: readonly CaseResult[], env: Environment): string {
  const [before, after] = env.loadAverage;
  const load = `load average ${before.toFixed(1)} at start, ${after.toFixed(1)} at end`;
  const busy = Math.max(before, after) > env.cores ? ' (busy machine: timings inflated)' : '';
  const head = `Node ${env.node}, ${env.cpu} × ${env.cores}, ${load}${busy}`;
  const probe = env.cpuProbeMs === undefined ? [] : [describeProbe(env.cpuProbeMs[0], env.cpuProbeMs[1])];
  const notes = env.notes.map((n) => `- ${n}`);
  return [head, ...probe, '', ...results.map((r) => `${formatCase(r)}\n`), 'Notes:', ...notes].join('\n');
}

/**
 * All cases as a JSON-ready object, each row with its speed-ups over the others.
 *
 * @param results - the cases
 * @param env - machine facts and notes
 * @param isQuick - whether `--quick` reduced the work
 * @returns a plain object for `JSON.stringify`
 */
export function toJson(results: readonly CaseResult[], env: Environment, isQuick: boolean): object {
  return {
    environment: env,
    isQuick,
    cases: results.map((c) => ({
      ...c,
      rows: c.rows.map((row) => ({
        ...row,
        speedupOver: Object.fromEntries(
          c.rows
            .filter((other) => other !== row)
            .map((other) => [other.implementation, speedup(row, other) ?? null]),
        ),
      })),
    })),
  };
}
