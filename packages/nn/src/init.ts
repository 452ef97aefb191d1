import { ArgumentError, mutate, noGrad, Rng, type Tensor } from '@tapegrad/core';
import { fmt } from './util.ts';

/** Options of the initializers. @category nn */
export interface InitOptions {
  /** The generator to draw from (wins over `seed`). */
  readonly rng?: Rng;
  /** Seed of a fresh {@link Rng} (default 0). */
  readonly seed?: number;
  /** Scale factor (default 1; √2 suits relu for the Xavier forms). */
  readonly gain?: number;
}

/** The initializers by name, as {@link Linear}'s `init` option accepts them. @category nn */
export type InitName = 'default' | 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal' | 'zeros';

/** fan_in and fan_out of a weight `[out, in, ...]`, as PyTorch counts them. */
function fans(op: string, t: Tensor): [number, number] {
  if (t.rank < 2) throw new ArgumentError(`${op}: tensor must have at least 2 dimensions, got shape ${fmt(t.shape)}`);
  let receptive = 1;
  for (let i = 2; i < t.rank; i++) receptive *= t.shape[i]!;
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fill(t: Tensor, opts: InitOptions, draw: (rng: Rng) => number): Tensor {
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  noGrad(() =>
    mutate(t, (d) => {
      for (let i = 0; i < d.length; i++) d[i] = draw(rng);
    }),
  );
  return t;
}

/**
 * Uniform in place: `U(lo, hi)`, seeded.
 * @param t The tensor to fill.
 * @param lo Lower bound.
 * @param hi Upper bound (excluded).
 * @param opts `rng` or `seed`.
 * @returns `t`.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { uniform } from '@tapegrad/nn';
 * uniform(zeros([2, 2]), -1, 1, { seed: 3 });
 * ```
 * @category nn
 */
export function uniform(t: Tensor, lo: number, hi: number, opts: InitOptions = {}): Tensor {
  return fill(t, opts, (rng) => rng.range(lo, hi));
}

/**
 * Glorot/Xavier uniform in place: `U(−a, a)` with `a = gain·√(6 / (fan_in + fan_out))`, keeping the
 * variance of activations and gradients alike for tanh/sigmoid layers.
 * @param t A weight of at least 2 dimensions, `[out, in, ...]`.
 * @param opts `rng` or `seed`, `gain`.
 * @returns `t`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a tensor of rank < 2.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { xavierUniform } from '@tapegrad/nn';
 * xavierUniform(zeros([4, 3]), { seed: 1 });
 * ```
 * @category nn
 */
export function xavierUniform(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fans('xavierUniform', t);
  const a = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return fill(t, opts, (rng) => rng.range(-a, a));
}

/**
 * Glorot/Xavier normal in place: `N(0, σ²)` with `σ = gain·√(2 / (fan_in + fan_out))`.
 * @param t A weight of at least 2 dimensions.
 * @param opts `rng` or `seed`, `gain`.
 * @returns `t`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a tensor of rank < 2.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { xavierNormal } from '@tapegrad/nn';
 * xavierNormal(zeros([4, 3]), { seed: 1 });
 * ```
 * @category nn
 */
export function xavierNormal(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn, fanOut] = fans('xavierNormal', t);
  const std = (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return fill(t, opts, (rng) => std * rng.normal());
}

/**
 * He/Kaiming uniform in place (fan_in mode, relu gain): `U(−a, a)` with `a = √(6 / fan_in)`.
 * @param t A weight of at least 2 dimensions.
 * @param opts `rng` or `seed`; `gain` replaces the relu gain √2.
 * @returns `t`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a tensor of rank < 2.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { heUniform } from '@tapegrad/nn';
 * heUniform(zeros([4, 3]), { seed: 1 });
 * ```
 * @category nn
 */
export function heUniform(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn] = fans('heUniform', t);
  const a = (opts.gain ?? Math.SQRT2) * Math.sqrt(3 / fanIn);
  return fill(t, opts, (rng) => rng.range(-a, a));
}

/**
 * He/Kaiming normal in place (fan_in mode, relu gain): `N(0, σ²)` with `σ = √(2 / fan_in)`.
 * @param t A weight of at least 2 dimensions.
 * @param opts `rng` or `seed`; `gain` replaces the relu gain √2.
 * @returns `t`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a tensor of rank < 2.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { heNormal } from '@tapegrad/nn';
 * heNormal(zeros([4, 3]), { seed: 1 });
 * ```
 * @category nn
 */
export function heNormal(t: Tensor, opts: InitOptions = {}): Tensor {
  const [fanIn] = fans('heNormal', t);
  const std = (opts.gain ?? Math.SQRT2) / Math.sqrt(fanIn);
  return fill(t, opts, (rng) => std * rng.normal());
}

/**
 * PyTorch's default `nn.Linear` initialization, in place: weight and bias both `U(−1/√fan_in, 1/√fan_in)`
 * (what `kaiming_uniform_(a = √5)` reduces to).
 * @param t The weight `[out, in]`, or a bias together with `fanIn`.
 * @param opts `rng` or `seed`.
 * @param fanIn The layer's fan_in (default: from `t`, which must then be 2-D).
 * @returns `t`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} without `fanIn` for a tensor of rank < 2.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { linearDefault } from '@tapegrad/nn';
 * linearDefault(zeros([4, 3]), { seed: 1 });
 * ```
 * @category nn
 */
export function linearDefault(t: Tensor, opts: InitOptions = {}, fanIn?: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn ?? fans('linearDefault', t)[0]);
  return fill(t, opts, (rng) => rng.range(-bound, bound));
}

/** Initializes a weight by name. @internal */
export function initWeight(t: Tensor, name: InitName, rng: Rng): Tensor {
  switch (name) {
    case 'default': return linearDefault(t, { rng });
    case 'xavierUniform': return xavierUniform(t, { rng });
    case 'xavierNormal': return xavierNormal(t, { rng });
    case 'heUniform': return heUniform(t, { rng });
    case 'heNormal': return heNormal(t, { rng });
    case 'zeros': return t;
    default: throw new ArgumentError(`init: must be one of 'default', 'xavierUniform', 'xavierNormal', 'heUniform', 'heNormal', 'zeros', got '${String(name)}'`);
  }
}
