import { ArgumentError } from '@tapegrad/core';
import { num, xml } from './format.ts';

/** One point of a training history. @category viz */
export interface LossPoint {
  /** Loss on the training set. */
  readonly train: number;
  /** Loss on the held-out set, if measured. */
  readonly test?: number;
}

/** One epoch as `@tapegrad/nn`'s `fit` reports it (`testLoss` NaN when there is no held-out set). @category viz */
export interface EpochLoss {
  /** Mean training loss of the epoch. */
  readonly loss: number;
  /** Held-out loss after the epoch. */
  readonly testLoss?: number;
}

/** A training history as parallel arrays, epoch `i + 1` at index `i`. @category viz */
export interface LossSeries {
  /** Training losses. */
  readonly train: readonly number[];
  /** Held-out losses, if measured. */
  readonly test?: readonly number[];
}

/** What `@tapegrad/nn`'s `fit` returns, as far as a loss curve needs it. @category viz */
export interface EpochHistory {
  /** One record per epoch, in order. */
  readonly epochs: readonly EpochLoss[];
}

/**
 * A training history: per-epoch records, parallel arrays, or what `fit` returns (`{ epochs }`).
 * @category viz
 */
export type LossHistory = readonly LossPoint[] | LossSeries | EpochHistory;

/** Options of {@link lossCurve}. @category viz */
export interface LossCurveOptions {
  /** Width in pixels (default 560). */
  readonly width?: number;
  /** Height in pixels (default 320). */
  readonly height?: number;
  /** Title above the plot (default `Loss`). */
  readonly title?: string;
  /** x-axis label (default `epoch`). */
  readonly xLabel?: string;
  /** y-axis label (default `loss`). */
  readonly yLabel?: string;
  /** Plot log₁₀ of the loss (default false); needs positive losses. */
  readonly logScale?: boolean;
}

const COLORS = { train: '#1f6fb2', test: '#d9480f' } as const;

/**
 * A line chart of a training history as a standalone SVG document: the train series and (when given)
 * the test series against the epoch, with labelled axes, ticks and a legend. No dependencies: the
 * string can be written to a file, inlined in HTML, or embedded in Markdown.
 * @param history Per-epoch `{ train, test? }` records, `{ train: number[], test?: number[] }`, or the history `fit` returns; epochs count from 1.
 * @param opts Size, title, axis labels, log scale.
 * @returns The SVG document as a string.
 * @throws ArgumentError for an empty history, non-finite losses, or non-positive losses with `logScale`.
 * @example
 * ```ts
 * import { lossCurve } from '@tapegrad/viz';
 * const svg = lossCurve({ train: [0.9, 0.5, 0.3, 0.2], test: [1.0, 0.6, 0.45, 0.4] });
 * console.log(svg.startsWith('<svg'), svg.includes('>epoch<')); // true true
 * ```
 * @category viz
 */
export function lossCurve(history: LossHistory, opts: LossCurveOptions = {}): string {
  const { train, test } = normalize(history);
  if (train.length === 0) throw new ArgumentError('lossCurve: history must have at least one epoch, got 0');
  const logScale = opts.logScale ?? false;
  const map = (v: number, series: string, i: number): number => {
    if (!Number.isFinite(v)) throw new ArgumentError(`lossCurve: losses must be finite, got ${v} in ${series} at epoch ${i + 1}`);
    if (logScale && v <= 0) throw new ArgumentError(`lossCurve: logScale needs positive losses, got ${v} in ${series} at epoch ${i + 1}`);
    return logScale ? Math.log10(v) : v;
  };
  const ys = train.map((v, i) => map(v, 'train', i));
  const ts = test?.map((v, i) => map(v, 'test', i));
  const width = opts.width ?? 560;
  const height = opts.height ?? 320;
  const m = { left: 64, right: 16, top: 36, bottom: 48 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const n = Math.max(train.length, test?.length ?? 0);
  const all = ts === undefined ? ys : [...ys, ...ts];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const yTicks = niceTicks(lo, hi, 5);
  lo = Math.min(lo, yTicks[0]!);
  hi = Math.max(hi, yTicks[yTicks.length - 1]!);
  const xTicks = niceTicks(1, Math.max(n, 2), 6).filter((t) => Number.isInteger(t) && t >= 1 && t <= Math.max(n, 1));
  const sx = (epoch: number): number => m.left + (n <= 1 ? pw / 2 : ((epoch - 1) / (n - 1)) * pw);
  const sy = (v: number): number => m.top + ph - ((v - lo) / (hi - lo)) * ph;
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${xml(opts.title ?? 'Loss')}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${f(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${xml(opts.title ?? 'Loss')}</text>`,
  ];
  for (const t of yTicks) {
    const y = f(sy(t));
    const label = logScale ? `1e${num(t)}` : num(t);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${xml(label)}</text>`);
  }
  for (const t of xTicks) {
    const x = f(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="#333"/>`);
  parts.push(`<text x="${f(m.left + pw / 2)}" y="${height - 10}" text-anchor="middle">${xml(opts.xLabel ?? 'epoch')}</text>`);
  const yl = xml(`${opts.yLabel ?? 'loss'}${logScale ? ' (log scale)' : ''}`);
  parts.push(`<text transform="translate(16 ${f(m.top + ph / 2)}) rotate(-90)" text-anchor="middle">${yl}</text>`);
  const line = (vals: readonly number[], name: 'train' | 'test'): void => {
    const pts = vals.map((v, i) => `${f(sx(i + 1))},${f(sy(v))}`).join(' ');
    parts.push(`<polyline class="series-${name}" fill="none" stroke="${COLORS[name]}" stroke-width="2" points="${pts}"/>`);
  };
  line(ys, 'train');
  if (ts !== undefined && ts.length > 0) line(ts, 'test');
  const series: ('train' | 'test')[] = ts !== undefined && ts.length > 0 ? ['train', 'test'] : ['train'];
  series.forEach((name, i) => {
    const x = m.left + pw - 70;
    const y = m.top + 8 + i * 16;
    parts.push(`<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${COLORS[name]}" stroke-width="2"/>`);
    parts.push(`<text x="${x + 24}" y="${y}" dominant-baseline="middle">${name}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function normalize(h: LossHistory): { train: readonly number[]; test: readonly number[] | undefined } {
  if (Array.isArray(h)) {
    const points = h as readonly LossPoint[];
    const hasTest = points.some((p) => p.test !== undefined);
    return { train: points.map((p) => p.train), test: hasTest ? points.map((p) => p.test ?? Number.NaN) : undefined };
  }
  if ('epochs' in h) {
    const hasTest = h.epochs.some((e) => e.testLoss !== undefined && !Number.isNaN(e.testLoss));
    return { train: h.epochs.map((e) => e.loss), test: hasTest ? h.epochs.map((e) => e.testLoss ?? Number.NaN) : undefined };
  }
  const arrays = h as LossSeries;
  return { train: arrays.train, test: arrays.test };
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((start + ticks.length * step).toPrecision(12)));
  return ticks;
}
