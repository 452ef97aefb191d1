import { avgPool2d, conv2d, maxPool2d, Rng, ShapeError, withScope, zeros, type DType, type Tensor } from '@tapegrad/core';
import { uniform } from './init.ts';
import { Module } from './module.ts';
import { checkInt, fmt } from './util.ts';

/** A size given once for both spatial axes, or as `[height, width]`. @category nn */
export type Size2 = number | readonly [number, number];

/** Options of {@link Conv2d}. @category nn */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  readonly stride?: Size2;
  /** Zeros added on each side (default 0). */
  readonly padding?: Size2;
  /** Spacing between kernel taps (default 1). */
  readonly dilation?: Size2;
  /** Channel groups (default 1): in and out channels must both divide by it. */
  readonly groups?: number;
  /** Whether the layer has a bias (default true). */
  readonly bias?: boolean;
  /** Generator for the initial values (wins over `seed`). */
  readonly rng?: Rng;
  /** Seed of a fresh generator (default 0). */
  readonly seed?: number;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

const pair = (s: Size2): [number, number] => (typeof s === 'number' ? [s, s] : [s[0], s[1]]);

/**
 * 2-D convolution layer, as PyTorch's `nn.Conv2d`: input `[n, inChannels, h, w]` (NCHW), weight
 * `[outChannels, inChannels/groups, kh, kw]`, bias `[outChannels]`, both initialised `U(±1/√fan_in)` with
 * `fan_in = inChannels/groups·kh·kw` (PyTorch's default). The op behind it is `conv2d` (im2col + GEMM).
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { Conv2d } from '@tapegrad/nn';
 * const conv = new Conv2d(1, 4, 3, { padding: 1, seed: 1 });
 * console.log(conv.forward(randn([2, 1, 8, 8])).shape); // [2, 4, 8, 8]
 * ```
 * @category nn
 */
export class Conv2d extends Module {
  /** Weight `[out, in/groups, kh, kw]`. */
  readonly weight: Tensor;
  /** Bias `[out]`, or null. */
  readonly bias: Tensor | null;
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  readonly #opts: { stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number };

  /**
   * @param inChannels Input channels (≥ 1).
   * @param outChannels Output channels (≥ 1).
   * @param kernelSize Kernel size, one number or `[kh, kw]`.
   * @param opts `stride`, `padding`, `dilation`, `groups`, `bias`, `rng`/`seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for non-positive sizes or channels that do not divide by `groups`.
   */
  constructor(inChannels: number, outChannels: number, kernelSize: Size2, opts: Conv2dOptions = {}) {
    super();
    this.inChannels = checkInt('Conv2d', 'inChannels', inChannels);
    this.outChannels = checkInt('Conv2d', 'outChannels', outChannels);
    const [kh, kw] = pair(kernelSize).map((k) => checkInt('Conv2d', 'kernelSize', k)) as [number, number];
    const groups = checkInt('Conv2d', 'groups', opts.groups ?? 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ShapeError(`Conv2d: inChannels and outChannels must divide by groups ${groups}, got ${inChannels} and ${outChannels}`);
    }
    this.#opts = { stride: pair(opts.stride ?? 1), padding: pair(opts.padding ?? 0), dilation: pair(opts.dilation ?? 1), groups };
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const dtype = opts.dtype ?? 'float64';
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.weight = this.registerParameter('weight', uniform(zeros([outChannels, inChannels / groups, kh, kw], { dtype }), -bound, bound, { rng }));
    this.bias = (opts.bias ?? true) ? this.registerParameter('bias', uniform(zeros([outChannels], { dtype }), -bound, bound, { rng })) : null;
  }

  /**
   * Convolves x with the weight and adds the bias.
   * @param x Input `[n, inChannels, h, w]`.
   * @returns Output `[n, outChannels, h', w']`.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when x is not 4-D with `inChannels` channels.
   */
  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`Conv2d: x must be [n, ${this.inChannels}, h, w], got ${fmt(x.shape)}`);
    }
    return withScope('Conv2d', () => conv2d(x, this.weight, this.bias ?? undefined, this.#opts));
  }
}

/** Options of {@link MaxPool2d} and {@link AvgPool2d}. @category nn */
export interface Pool2dOptions {
  /** Step between windows (default: the kernel size). */
  readonly stride?: Size2;
  /** Padding on each side (default 0). */
  readonly padding?: Size2;
}

/**
 * 2-D max pooling, as PyTorch's `nn.MaxPool2d` (no parameters).
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { MaxPool2d } from '@tapegrad/nn';
 * console.log(new MaxPool2d(2).forward(randn([1, 3, 8, 8])).shape); // [1, 3, 4, 4]
 * ```
 * @category nn
 */
export class MaxPool2d extends Module {
  readonly #opts: { kernelSize: [number, number]; stride: [number, number]; padding: [number, number] };
  /** @param kernelSize Window size. @param opts `stride` (default the window), `padding`. */
  constructor(kernelSize: Size2, opts: Pool2dOptions = {}) {
    super();
    this.#opts = { kernelSize: pair(kernelSize), stride: pair(opts.stride ?? kernelSize), padding: pair(opts.padding ?? 0) };
  }
  /** @param x Input `[n, c, h, w]`. @returns The window maxima `[n, c, h', w']`. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.#opts);
  }
}

/**
 * 2-D average pooling, as PyTorch's `nn.AvgPool2d` (no parameters; padding counts as zeros in the average).
 * @example
 * ```ts
 * import { ones } from '@tapegrad/core';
 * import { AvgPool2d } from '@tapegrad/nn';
 * console.log(new AvgPool2d(2).forward(ones([1, 1, 4, 4])).toArray()); // [[[[1, 1], [1, 1]]]]
 * ```
 * @category nn
 */
export class AvgPool2d extends Module {
  readonly #opts: { kernelSize: [number, number]; stride: [number, number]; padding: [number, number] };
  /** @param kernelSize Window size. @param opts `stride` (default the window), `padding`. */
  constructor(kernelSize: Size2, opts: Pool2dOptions = {}) {
    super();
    this.#opts = { kernelSize: pair(kernelSize), stride: pair(opts.stride ?? kernelSize), padding: pair(opts.padding ?? 0) };
  }
  /** @param x Input `[n, c, h, w]`. @returns The window means `[n, c, h', w']`. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.#opts);
  }
}
