import { batchNorm, ones, ShapeError, withScope, zeros, type DType, type Tensor } from '@tapegrad/core';
import { Module } from './module.ts';
import { checkInt, checkNumber, fmt } from './util.ts';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}. @category nn */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1). */
  readonly momentum?: number;
  /** Learn a per-channel weight (init 1) and bias (init 0) (default true). */
  readonly affine?: boolean;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

/**
 * Shared body of the batch-norm layers: per-channel γ, β and the running statistics (buffers, so they are in the
 * state dict). In training mode it normalizes with the batch statistics and updates the running ones
 * (`r ← (1 − momentum)·r + momentum·batch`, the variance unbiased, as PyTorch); in eval mode it uses the running ones.
 * @category nn
 */
export abstract class BatchNorm extends Module {
  /** Channels. */
  readonly numFeatures: number;
  /** γ `[c]`, or null without affine. */
  readonly weight: Tensor | null;
  /** β `[c]`, or null without affine. */
  readonly bias: Tensor | null;
  /** Running mean `[c]` (buffer, init 0). */
  readonly runningMean: Tensor;
  /** Running variance `[c]` (buffer, init 1). */
  readonly runningVar: Tensor;
  /** Training batches seen (a scalar buffer, as PyTorch's `num_batches_tracked`). */
  readonly numBatchesTracked: Tensor;
  /** ε. */
  readonly eps: number;
  /** Momentum of the running statistics. */
  readonly momentum: number;
  readonly #ranks: readonly number[];

  /**
   * @param numFeatures Channels (≥ 1).
   * @param ranks The input ranks accepted (channels on axis 1).
   * @param opts `eps`, `momentum`, `affine`, `dtype`.
   */
  protected constructor(numFeatures: number, ranks: readonly number[], opts: BatchNormOptions) {
    super();
    const name = new.target.name;
    this.numFeatures = checkInt(name, 'numFeatures', numFeatures);
    this.eps = checkNumber(name, 'eps', opts.eps ?? 1e-5);
    this.momentum = checkNumber(name, 'momentum', opts.momentum ?? 0.1);
    this.#ranks = ranks;
    const dtype = opts.dtype ?? 'float64';
    const isAffine = opts.affine ?? true;
    this.weight = isAffine ? this.registerParameter('weight', ones([numFeatures], { dtype })) : null;
    this.bias = isAffine ? this.registerParameter('bias', zeros([numFeatures], { dtype })) : null;
    this.runningMean = this.registerBuffer('runningMean', zeros([numFeatures], { dtype }));
    this.runningVar = this.registerBuffer('runningVar', ones([numFeatures], { dtype }));
    this.numBatchesTracked = this.registerBuffer('numBatchesTracked', zeros([], { dtype }));
  }

  /**
   * Normalizes each channel (axis 1).
   * @param x Input with channels on axis 1.
   * @returns The normalized x, same shape.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} for a wrong rank or channel count.
   */
  forward(x: Tensor): Tensor {
    if (!this.#ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      const c = this.numFeatures;
      const want = this.#ranks.map((r) => (r === 2 ? `[n, ${c}]` : r === 3 ? `[n, ${c}, l]` : `[n, ${c}, h, w]`)).join(' or ');
      throw new ShapeError(`${this.constructor.name}: x must be ${want}, got ${fmt(x.shape)}`);
    }
    const y = withScope(this.constructor.name, () =>
      batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, { training: this.isTraining, momentum: this.momentum, eps: this.eps }),
    );
    if (this.isTraining) this.numBatchesTracked.data[0]! += 1;
    return y;
  }
}

/**
 * Batch normalization over `[n, c]` or `[n, c, l]`, as PyTorch's `nn.BatchNorm1d`; see {@link BatchNorm}.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { BatchNorm1d } from '@tapegrad/nn';
 * const bn = new BatchNorm1d(1);
 * console.log(bn.forward(tensor([[1], [3]])).toArray().flat().map((v) => Math.round(v * 1e3) / 1e3)); // [-1, 1]
 * ```
 * @category nn
 */
export class BatchNorm1d extends BatchNorm {
  /** @param numFeatures Channels. @param opts `eps`, `momentum`, `affine`, `dtype`. */
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], opts);
  }
}

/**
 * Batch normalization over `[n, c, h, w]`, as PyTorch's `nn.BatchNorm2d`; see {@link BatchNorm}.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { BatchNorm2d } from '@tapegrad/nn';
 * const bn = new BatchNorm2d(3);
 * console.log(bn.forward(randn([4, 3, 2, 2])).shape, bn.eval().isTraining); // [4, 3, 2, 2] false
 * ```
 * @category nn
 */
export class BatchNorm2d extends BatchNorm {
  /** @param numFeatures Channels. @param opts `eps`, `momentum`, `affine`, `dtype`. */
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, [4], opts);
  }
}
