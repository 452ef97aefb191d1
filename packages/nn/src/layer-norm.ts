import { layerNorm, ones, withScope, zeros, type DType, type Shape, type Tensor } from '@tapegrad/core';
import { Module } from './module.ts';
import { checkInt, checkNumber } from './util.ts';

/** Options of {@link LayerNorm}. @category nn */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  readonly eps?: number;
  /** Learn a weight (init 1) and bias (init 0) of the normalized shape (default true). */
  readonly elementwiseAffine?: boolean;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

/**
 * Layer normalization, as PyTorch's `nn.LayerNorm`: normalizes over the last dimensions (`normalizedShape`),
 * `y = (x − mean)/√(var + ε)·γ + β` with the biased variance.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { LayerNorm } from '@tapegrad/nn';
 * const y = new LayerNorm(2).forward(tensor([[1, 3]]));
 * console.log(y.data.map((v) => Math.round(v * 1e4) / 1e4)); // Float64Array [-1, 1]
 * ```
 * @category nn
 */
export class LayerNorm extends Module {
  /** The normalized trailing shape. */
  readonly normalizedShape: Shape;
  /** γ, or null without affine. */
  readonly weight: Tensor | null;
  /** β, or null without affine. */
  readonly bias: Tensor | null;
  /** ε. */
  readonly eps: number;
  /**
   * @param normalizedShape The trailing dimensions to normalize over (a number for one).
   * @param opts `eps`, `elementwiseAffine`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a non-positive size or a negative ε.
   */
  constructor(normalizedShape: number | Shape, opts: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    shape.forEach((d) => checkInt('LayerNorm', 'normalizedShape', d));
    this.normalizedShape = shape;
    this.eps = checkNumber('LayerNorm', 'eps', opts.eps ?? 1e-5);
    const dtype = opts.dtype ?? 'float64';
    const isAffine = opts.elementwiseAffine ?? true;
    this.weight = isAffine ? this.registerParameter('weight', ones(shape, { dtype })) : null;
    this.bias = isAffine ? this.registerParameter('bias', zeros(shape, { dtype })) : null;
  }
  /**
   * Normalizes x over its trailing `normalizedShape`.
   * @param x Input `[..., ...normalizedShape]`.
   * @returns The normalized x, same shape.
   */
  forward(x: Tensor): Tensor {
    return withScope('LayerNorm', () => layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps }));
  }
}
