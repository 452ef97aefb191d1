/**
 * Inputs of the two model workloads, generated once as `Float64Array`s and
 * handed to every engine:
 *
 * - W5, a convolutional training step: `[batch, 1, 8, 8]` images →
 *   conv 3×3 (1→16, padding 1) → ReLU → max-pool 2×2 → conv 3×3 (16→32,
 *   padding 1) → ReLU → global average pool → linear 32→10 → mean
 *   cross-entropy, then one plain SGD update.
 * - W6, a transformer-block training step: `[batch, context]` tokens of a
 *   `vocab`-letter alphabet → token + position embeddings → pre-norm block
 *   (`h + MHA(LN(h))` with a causal mask, then `h + W₂·relu(W₁·LN(h))`) →
 *   final LayerNorm → linear head → mean cross-entropy over every position,
 *   then one plain SGD update.
 *
 * Layouts are PyTorch's: images NCHW, conv weights `[out, in, kh, kw]`, dense
 * weights `[out, in]`. Engines with other layouts transpose on the way in.
 */
import { createRng } from './rng.js';

/** W5's sizes and timing, from `workloads.json`. */
export interface W5Config {
  readonly batch: number;
  readonly channels: readonly [number, number];
  readonly classes: number;
  readonly lr: number;
  readonly checkSteps: number;
  readonly warmupSteps: number;
  readonly stepsPerRep: number;
  readonly reps: number;
}

/** W6's sizes and timing, from `workloads.json`. */
export interface W6Config {
  readonly batch: number;
  readonly context: number;
  readonly width: number;
  readonly heads: number;
  readonly vocab: number;
  readonly hidden: number;
  readonly lr: number;
  readonly checkSteps: number;
  readonly warmupSteps: number;
  readonly stepsPerRep: number;
  readonly reps: number;
}

/** One named parameter: its shape (PyTorch layout) and values. */
export interface ParamData {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Inputs of W5. */
export interface W5Data {
  readonly cfg: W5Config;
  /** `[batch, 1, 8, 8]`, standard normal. */
  readonly x: Float64Array;
  /** `[batch]` class indices. */
  readonly labels: Int32Array;
  /** conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight, fc.bias. */
  readonly params: readonly ParamData[];
}

/** Inputs of W6. */
export interface W6Data {
  readonly cfg: W6Config;
  /** `[batch, context]` token indices. */
  readonly tokens: Int32Array;
  /** `[batch, context]` next-token indices. */
  readonly targets: Int32Array;
  /**
   * tok, pos, ln1.weight, ln1.bias, q.weight, q.bias, k.weight, k.bias,
   * v.weight, v.bias, o.weight, o.bias, ln2.weight, ln2.bias, fc1.weight,
   * fc1.bias, fc2.weight, fc2.bias, lnf.weight, lnf.bias, head.weight, head.bias.
   */
  readonly params: readonly ParamData[];
}

type Draw = () => number;

function param(name: string, shape: readonly number[], draw: Draw): ParamData {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = draw();
  return { name, shape, data };
}

/** A dense or conv layer's weight and bias, uniform(±1/√fan_in) as PyTorch initialises them. */
function layer(name: string, shape: readonly number[], uniformIn: (lo: number, hi: number) => number): ParamData[] {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const draw = (): number => uniformIn(-bound, bound);
  return [param(`${name}.weight`, shape, draw), param(`${name}.bias`, [shape[0]!], draw)];
}

/**
 * W5's inputs from the `W5` stream: images, labels, then each layer's weight
 * and bias.
 *
 * @param seed - the workloads seed
 * @param cfg - W5's sizes
 * @returns the data set
 */
export function makeW5Data(seed: number, cfg: W5Config): W5Data {
  const rng = createRng(seed, 'W5');
  const { batch, classes } = cfg;
  const [c1, c2] = cfg.channels;
  const x = new Float64Array(batch * 64);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const labels = Int32Array.from({ length: batch }, () => Math.floor(rng.uniform() * classes));
  const params = [
    ...layer('conv1', [c1, 1, 3, 3], rng.uniformIn),
    ...layer('conv2', [c2, c1, 3, 3], rng.uniformIn),
    ...layer('fc', [classes, c2], rng.uniformIn),
  ];
  return { cfg, x, labels, params };
}

/**
 * W6's inputs from the `W6` stream: tokens (each row a random walk over the
 * alphabet, so the next token is predictable), then the parameters;
 * embeddings are normal(0, 1), LayerNorm weights 1 and biases 0.
 *
 * @param seed - the workloads seed
 * @param cfg - W6's sizes
 * @returns the data set
 */
export function makeW6Data(seed: number, cfg: W6Config): W6Data {
  const rng = createRng(seed, 'W6');
  const { batch, context: t, width: d, vocab: v, hidden } = cfg;
  const tokens = new Int32Array(batch * t);
  const targets = new Int32Array(batch * t);
  for (let b = 0; b < batch; b++) {
    let c = Math.floor(rng.uniform() * v);
    for (let i = 0; i <= t; i++) {
      const next = (c + 1 + Math.floor(rng.uniform() * 3)) % v;
      if (i < t) tokens[b * t + i] = c;
      if (i > 0) targets[b * t + i - 1] = c;
      c = next;
    }
  }
  const ones = (): number => 1;
  const zeros = (): number => 0;
  const ln = (name: string): ParamData[] => [param(`${name}.weight`, [d], ones), param(`${name}.bias`, [d], zeros)];
  const params = [
    param('tok', [v, d], rng.normal),
    param('pos', [t, d], rng.normal),
    ...ln('ln1'),
    ...layer('q', [d, d], rng.uniformIn),
    ...layer('k', [d, d], rng.uniformIn),
    ...layer('v', [d, d], rng.uniformIn),
    ...layer('o', [d, d], rng.uniformIn),
    ...ln('ln2'),
    ...layer('fc1', [hidden, d], rng.uniformIn),
    ...layer('fc2', [d, hidden], rng.uniformIn),
    ...ln('lnf'),
    ...layer('head', [v, d], rng.uniformIn),
  ];
  return { cfg, tokens, targets, params };
}

/** The LayerNorm epsilon of W6 (PyTorch's default). */
export const LN_EPS = 1e-5;
