/**
 * The benchmark harness: the `Workload` contract every engine implements, the
 * seeded data sets (generated once as plain `Float64Array`s and handed to
 * every engine), and the timer (median of repetitions after warm-up).
 */
import type { W1Size, WorkloadsConfig } from './config.js';
import { createRng } from './rng.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection on demand without starting node with --expose-gc.
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

/** Runs a full garbage collection (twice, so finalizers' garbage goes too). */
export function collectGarbage(): void {
  fullGc();
  fullGc();
}

/** An error raised by the bench itself (setup misuse, failed checks). */
export class BenchError extends Error {
  override name = 'BenchError';
}

/** Floating-point precision an implementation computes in. */
export type Dtype = 'float32' | 'float64';

/** Identifies one benchmark case, e.g. `W1 small`, `W2 n=512`, `W4 N=1000`. */
export type WorkloadKind = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6';

/**
 * One engine's implementation of one benchmark case.
 *
 * `setup` allocates everything (it may be async: TF.js switches backends,
 * jax-js compiles Wasm); `step` runs one full unit of work and forces its
 * result by reading a number back into JavaScript.
 */
export interface Workload {
  /** Case id, e.g. `'W1 small'`. */
  readonly id: string;
  /** Implementation name as shown in the tables, e.g. `'TF.js wasm'`. */
  readonly engine: string;
  readonly dtype: Dtype;
  /** Allocates everything; receives the timing options (engines that time themselves need them). */
  setup(timing?: TimingOptions): Promise<void> | void;
  /** One step; returns the loss (W1, W3), a checksum (W2) or dy/dx (W4). */
  step(): number;
  /** W2: the last product, row-major, for the correctness check. */
  output?(): ArrayLike<number>;
  /** W3: recorded ops in the last step. */
  opsPerStep?(): number;
  /**
   * Overrides the dtype's default tolerance for the loss check, with the
   * reason (shown in the report).
   */
  readonly tolerance?: { readonly rel: number; readonly reason: string };
  /**
   * For engines that time their own steps in another process (PyTorch): the timing of the steps that
   * `setup` ran, used instead of timing `step` here.
   */
  selfTimed?(): Timing;
  /** Frees engine memory (tensors, compiled functions). */
  dispose?(): void;
}

/** A dense layer's parameters: `w` is `[out, in]` row-major, `b` is `[out]`. */
export interface LayerParams {
  readonly in: number;
  readonly out: number;
  readonly w: Float64Array;
  readonly b: Float64Array;
}

/** Inputs of W1: data, targets and the initial parameters. */
export interface W1Data {
  readonly name: string;
  readonly size: W1Size;
  /** `[batch, in]`, standard normal. */
  readonly x: Float64Array;
  /** `[batch, 1]`, 0 or 1. */
  readonly y: Float64Array;
  readonly layers: readonly LayerParams[];
}

/** Inputs of W2: two `[n, n]` matrices, uniform(−1, 1). */
export interface W2Data {
  readonly n: number;
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** Inputs of W3: two-moons points, labels ±1, and the MLP's initial parameters. */
export interface W3Data {
  /** `[samples, 2]`. */
  readonly x: Float64Array;
  /** `[samples]`, −1 or +1. */
  readonly y: Float64Array;
  readonly layers: readonly LayerParams[];
  readonly alpha: number;
  readonly lr: number;
}

/** Sizes of the layers `in → hidden… → out`. */
function layerSizes(inSize: number, hidden: readonly number[], out: number): [number, number][] {
  const dims = [inSize, ...hidden, out];
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < dims.length; i++) pairs.push([dims[i]!, dims[i + 1]!]);
  return pairs;
}

/**
 * W1's inputs. Draw order from the `W1 <name>` stream: X row by row, then the
 * rule vector r, then each layer's weights then biases.
 *
 * Targets: t = x·r/√in + x₀·x₁ (a random linear rule plus an interaction
 * term), y = 1 if t > 0 else 0, so a network can fit them and the loss falls.
 * Weights and biases are uniform(±1/√in), like PyTorch's `nn.Linear`.
 *
 * @param cfg - the workloads configuration (for the seed)
 * @param name - `'small'` or `'big'`
 * @param size - the size to generate
 * @returns the data set
 */
export function makeW1Data(cfg: WorkloadsConfig, name: string, size: W1Size): W1Data {
  const rng = createRng(cfg.seed, `W1 ${name}`);
  const { batch } = size;
  const inSize = size.in;
  const x = new Float64Array(batch * inSize);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const rule = new Float64Array(inSize);
  for (let j = 0; j < inSize; j++) rule[j] = rng.normal();
  const y = new Float64Array(batch);
  const scale = 1 / Math.sqrt(inSize);
  for (let i = 0; i < batch; i++) {
    let t = 0;
    for (let j = 0; j < inSize; j++) t += x[i * inSize + j]! * rule[j]!;
    t = t * scale + x[i * inSize]! * x[i * inSize + 1]!;
    y[i] = t > 0 ? 1 : 0;
  }
  const layers = layerSizes(inSize, size.hidden, size.out).map(([fanIn, fanOut]) => {
    const bound = 1 / Math.sqrt(fanIn);
    const w = new Float64Array(fanOut * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformIn(-bound, bound);
    const b = new Float64Array(fanOut);
    for (let i = 0; i < b.length; i++) b[i] = rng.uniformIn(-bound, bound);
    return { in: fanIn, out: fanOut, w, b };
  });
  return { name, size, x, y, layers };
}

/**
 * W2's inputs: A then B, uniform(−1, 1), from the `W2 n=<n>` stream.
 *
 * @param cfg - the workloads configuration (for the seed)
 * @param n - the matrix size
 * @returns the two matrices
 */
export function makeW2Data(cfg: WorkloadsConfig, n: number): W2Data {
  const rng = createRng(cfg.seed, `W2 n=${n}`);
  const a = new Float64Array(n * n);
  const b = new Float64Array(n * n);
  for (let i = 0; i < a.length; i++) a[i] = rng.uniformIn(-1, 1);
  for (let i = 0; i < b.length; i++) b[i] = rng.uniformIn(-1, 1);
  return { n, a, b };
}

/**
 * Two interleaving half circles as in scikit-learn's `make_moons` (without
 * shuffling): the upper moon (label −1) at (cos t, sin t), the lower one
 * (label +1) at (1 − cos t, 0.5 − sin t), t evenly spaced over [0, π], plus
 * gaussian noise on both coordinates.
 *
 * @param samples - number of points (the upper moon gets the odd one)
 * @param noise - standard deviation of the noise
 * @param normal - source of standard normal variates
 * @returns points `[samples, 2]` and labels ±1
 */
export function makeMoons(
  samples: number,
  noise: number,
  normal: () => number,
): { x: Float64Array; y: Float64Array } {
  const nOuter = Math.ceil(samples / 2);
  const nInner = samples - nOuter;
  const x = new Float64Array(samples * 2);
  const y = new Float64Array(samples);
  const angle = (i: number, count: number): number => (count > 1 ? (Math.PI * i) / (count - 1) : 0);
  for (let i = 0; i < samples; i++) {
    const isOuter = i < nOuter;
    const t = isOuter ? angle(i, nOuter) : angle(i - nOuter, nInner);
    x[2 * i] = isOuter ? Math.cos(t) : 1 - Math.cos(t);
    x[2 * i + 1] = isOuter ? Math.sin(t) : 0.5 - Math.sin(t);
    y[i] = isOuter ? -1 : 1;
  }
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + noise * normal();
  return { x, y };
}

/**
 * W3's inputs from the `W3` stream: the moons (points, then noise), then each
 * layer's weights uniform(−1, 1) with zero biases, as in micrograd's `Neuron`.
 *
 * @param cfg - the workloads configuration
 * @returns the data set
 */
export function makeW3Data(cfg: WorkloadsConfig): W3Data {
  const w3 = cfg.W3;
  const rng = createRng(cfg.seed, 'W3');
  const moons = makeMoons(w3.samples, w3.noise, rng.normal);
  const layers = layerSizes(w3.in, w3.hidden, w3.out).map(([fanIn, fanOut]) => {
    const w = new Float64Array(fanOut * fanIn);
    for (let i = 0; i < w.length; i++) w[i] = rng.uniformIn(-1, 1);
    return { in: fanIn, out: fanOut, w, b: new Float64Array(fanOut) };
  });
  return { x: moons.x, y: moons.y, layers, alpha: w3.alpha, lr: w3.lr };
}

/** How many steps to run and how to group them. */
export interface TimingOptions {
  readonly warmupSteps: number;
  readonly stepsPerRep: number;
  readonly reps: number;
  /** If set, `stepsPerRep` doubles (during warm-up) until one rep lasts this long. */
  readonly minRepSeconds?: number;
}

/** The result of `timeSteps`. */
export interface Timing {
  /** Median over reps of the time per step, in milliseconds. */
  readonly medianMs: number;
  /** Time per step of each rep, in milliseconds. */
  readonly repMs: readonly number[];
  readonly stepsPerRep: number;
  /** What the last step returned. */
  readonly lastValue: number;
}

/**
 * Median of a non-empty list.
 *
 * @param values - the samples
 * @returns the middle value, or the mean of the two middle values
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `step`: warm-up, then `reps` repetitions of `stepsPerRep` steps each.
 * Every step's result is kept (and checked to be finite) so nothing can be
 * skipped as dead code.
 *
 * @param step - one step; returns the forced result
 * @param options - warm-up, grouping and repetitions
 * @returns the median time per step and the samples
 */
export function timeSteps(step: () => number, options: TimingOptions): Timing {
  // Start every implementation from a collected heap, so none pays for the garbage of the one before.
  collectGarbage();
  let last = Number.NaN;
  for (let i = 0; i < options.warmupSteps; i++) last = step();
  let stepsPerRep = Math.max(1, options.stepsPerRep);
  if (options.minRepSeconds !== undefined) {
    const minMs = options.minRepSeconds * 1000;
    for (;;) {
      const t0 = performance.now();
      for (let i = 0; i < stepsPerRep; i++) last = step();
      if (performance.now() - t0 >= minMs) break;
      stepsPerRep *= 2;
    }
  }
  const repMs: number[] = [];
  for (let r = 0; r < options.reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < stepsPerRep; i++) last = step();
    repMs.push((performance.now() - t0) / stepsPerRep);
  }
  return { medianMs: median(repMs), repMs, stepsPerRep, lastValue: last };
}

/**
 * Relative difference |a − b| / max(|b|, tiny), symmetric enough for checks.
 *
 * @param a - the measured value
 * @param b - the reference value
 * @returns the relative error
 */
export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

/**
 * Default relative tolerance for comparing an engine's result with a float64
 * reference: float32 rounding over a few steps stays well under 1e-4.
 *
 * @param dtype - the engine's precision
 * @returns the tolerance
 */
export function defaultTolerance(dtype: Dtype): number {
  return dtype === 'float32' ? 1e-4 : 1e-9;
}
