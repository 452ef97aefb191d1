import { ArgumentError, dropout, embedding, Rng, zeros, type DType, type Tensor } from '@tapegrad/core';
import { Module } from './module.ts';
import { checkInt } from './util.ts';

/** Options shared by the layers that draw initial values. @category nn */
export interface InitLayerOptions {
  /** Generator for the initial values (wins over `seed`). */
  readonly rng?: Rng;
  /** Seed of a fresh generator (default 0). */
  readonly seed?: number;
  /** Element type (default `float64`). */
  readonly dtype?: DType;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as PyTorch's `nn.Embedding` (weight initialised
 * `N(0, 1)`): row `i` of the weight is the vector of index `i`; the gradient adds into the looked-up rows.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { Embedding } from '@tapegrad/nn';
 * const emb = new Embedding(27, 4, { seed: 1 });
 * console.log(emb.forward(tensor([[0, 5, 5]])).shape); // [1, 3, 4]
 * ```
 * @category nn
 */
export class Embedding extends Module {
  /** The table `[numEmbeddings, embeddingDim]`. */
  readonly weight: Tensor;
  /**
   * @param numEmbeddings Table size (≥ 1).
   * @param embeddingDim Vector size (≥ 1).
   * @param opts `rng`/`seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for non-positive sizes.
   */
  constructor(numEmbeddings: number, embeddingDim: number, opts: InitLayerOptions = {}) {
    super();
    checkInt('Embedding', 'numEmbeddings', numEmbeddings);
    checkInt('Embedding', 'embeddingDim', embeddingDim);
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const w = zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? 'float64' });
    for (let i = 0; i < w.size; i++) w.data[i] = rng.normal();
    this.weight = this.registerParameter('weight', w);
  }
  /**
   * Looks the indices up.
   * @param indices Integer indices of any shape (stored as numbers).
   * @returns `[...indices.shape, embeddingDim]`.
   */
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }
}

/**
 * Dropout as a module, as PyTorch's `nn.Dropout`: in training mode each element is zeroed with probability p and the
 * rest scaled by 1/(1 − p); in eval mode it is the identity. Masks come from the layer's own seeded generator, so a
 * run is reproducible and every call draws a new mask.
 * @example
 * ```ts
 * import { ones } from '@tapegrad/core';
 * import { Dropout } from '@tapegrad/nn';
 * const drop = new Dropout(0.5, { seed: 1 });
 * console.log(drop.eval().forward(ones([3])).toArray()); // [1, 1, 1]
 * ```
 * @category nn
 */
export class Dropout extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;
  readonly #rng: Rng;
  /**
   * @param p Probability in [0, 1] (default 0.5).
   * @param opts `seed` of the mask generator (default 0).
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for p outside [0, 1].
   */
  constructor(p = 0.5, opts: { readonly seed?: number } = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be a number in [0, 1], got ${String(p)}`);
    this.p = p;
    this.#rng = new Rng(opts.seed ?? 0);
  }
  /** @param x Any tensor. @returns x with dropout applied in training mode, x itself in eval mode. */
  forward(x: Tensor): Tensor {
    return dropout(x, { p: this.p, training: this.isTraining, seed: this.#rng });
  }
}
