import {
  ArgumentError, gelu, relu, Rng, scaledDotProductAttention, ShapeError, split, withScope, zeros, type Tensor,
} from '@tapegrad/core';
import { Dropout, type InitLayerOptions } from './embedding.ts';
import { uniform } from './init.ts';
import { Linear } from './layers.ts';
import { Module } from './module.ts';
import { LayerNorm } from './layer-norm.ts';
import { checkInt, checkNumber, fmt } from './util.ts';

/** Options of {@link MultiheadAttention.attend}. @category nn */
export interface AttendOptions {
  /** Boolean-like mask `[tq, tk]` (or broadcastable to `[b, heads, tq, tk]`): 1 takes part, 0 is masked out. */
  readonly mask?: Tensor;
  /** Mask out later positions (a query attends only to keys at or before it). */
  readonly causal?: boolean;
}

/** Options of {@link MultiheadAttention}. @category nn */
export interface MultiheadAttentionOptions extends InitLayerOptions {
  /** Biases on the projections (default true). */
  readonly bias?: boolean;
  /** Causal self-attention in `forward` (default false). */
  readonly causal?: boolean;
}

/**
 * Multi-head attention, batch first, as PyTorch's `nn.MultiheadAttention(embedDim, numHeads, batch_first=True)`:
 * the query, key and value are projected by the rows of `inProjWeight` `[3E, E]` (+ `inProjBias`), split into
 * `numHeads` heads of `E/numHeads`, attended with `scaledDotProductAttention`, concatenated and projected by `outProj`.
 * The state dict names match PyTorch's (`inProjWeight` ↔ `in_proj_weight`, `outProj.weight` ↔ `out_proj.weight`).
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { MultiheadAttention } from '@tapegrad/nn';
 * const mha = new MultiheadAttention(8, 2, { seed: 1, causal: true });
 * console.log(mha.forward(randn([3, 5, 8])).shape); // [3, 5, 8]
 * ```
 * @category nn
 */
export class MultiheadAttention extends Module {
  /** Model width E. */
  readonly embedDim: number;
  /** Heads. */
  readonly numHeads: number;
  /** Whether `forward` is causal. */
  readonly isCausal: boolean;
  /** Stacked query, key and value projections `[3E, E]`. */
  readonly inProjWeight: Tensor;
  /** Their biases `[3E]`, or null. */
  readonly inProjBias: Tensor | null;
  /** The output projection. */
  readonly outProj: Linear;

  /**
   * @param embedDim Model width E (≥ 1).
   * @param numHeads Heads; must divide E.
   * @param opts `bias`, `causal`, `rng`/`seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} when numHeads does not divide embedDim.
   */
  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    this.embedDim = checkInt('MultiheadAttention', 'embedDim', embedDim);
    this.numHeads = checkInt('MultiheadAttention', 'numHeads', numHeads);
    if (embedDim % numHeads !== 0) throw new ArgumentError(`MultiheadAttention: numHeads must divide embedDim ${embedDim}, got ${numHeads}`);
    this.isCausal = opts.causal ?? false;
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const dtype = opts.dtype ?? 'float64';
    // PyTorch: xavier_uniform_ on in_proj_weight, zero biases.
    const a = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.inProjWeight = this.registerParameter('inProjWeight', uniform(zeros([3 * embedDim, embedDim], { dtype }), -a, a, { rng }));
    this.inProjBias = (opts.bias ?? true) ? this.registerParameter('inProjBias', zeros([3 * embedDim], { dtype })) : null;
    this.outProj = this.registerModule('outProj', new Linear(embedDim, embedDim, { bias: opts.bias ?? true, rng, dtype }));
    if (this.outProj.bias !== null) this.outProj.bias.data.fill(0);
  }

  /**
   * Self-attention: `attend(x, x, x)` (causal if the layer was built so).
   * @param x Input `[b, t, E]`.
   * @returns `[b, t, E]`.
   */
  forward(x: Tensor): Tensor {
    return this.attend(x, x, x, { causal: this.isCausal });
  }

  /**
   * Attention of `query` over `key`/`value`.
   * @param query `[b, tq, E]`.
   * @param key `[b, tk, E]`.
   * @param value `[b, tk, E]`.
   * @param opts `mask`, `causal`.
   * @returns `[b, tq, E]`.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when an input is not `[b, t, E]` or the batches differ.
   */
  attend(query: Tensor, key: Tensor, value: Tensor, opts: AttendOptions = {}): Tensor {
    const e = this.embedDim;
    for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
      if (t.rank !== 3 || t.shape[2] !== e || t.shape[0] !== query.shape[0]) {
        throw new ShapeError(`MultiheadAttention: ${name} must be [b, t, ${e}] with the query's batch, got ${fmt(t.shape)}`);
      }
    }
    return withScope('MultiheadAttention', () => {
      const w = split(this.inProjWeight, e, 0);
      const bs = this.inProjBias === null ? [null, null, null] : split(this.inProjBias, e, 0);
      const h = this.numHeads;
      const dh = e / h;
      const project = (x: Tensor, i: number): Tensor => {
        const y = x.matmul(w[i]!, { transposeB: true });
        const yb = bs[i] == null ? y : y.add(bs[i]!);
        // [b, t, E] → [b, heads, t, dh]
        return yb.reshape([x.shape[0]!, x.shape[1]!, h, dh]).transpose([0, 2, 1, 3]);
      };
      const att = scaledDotProductAttention(project(query, 0), project(key, 1), project(value, 2), {
        ...(opts.mask === undefined ? {} : { mask: opts.mask }),
        causal: opts.causal ?? false,
      });
      return this.outProj.forward(att.transpose([0, 2, 1, 3]).reshape([query.shape[0]!, query.shape[1]!, e]));
    });
  }
}

/** Options of {@link TransformerBlock}. @category nn */
export interface TransformerBlockOptions extends InitLayerOptions {
  /** Width of the feed-forward layer (default 4·dModel). */
  readonly dimFeedforward?: number;
  /** Feed-forward activation (default `'gelu'`). */
  readonly activation?: 'gelu' | 'relu';
  /** Dropout after attention and feed-forward, in training mode (default 0). */
  readonly dropout?: number;
  /** Causal self-attention (default true: a language-model block). */
  readonly causal?: boolean;
  /** LayerNorm ε (default 1e-5). */
  readonly eps?: number;
}

/**
 * A pre-norm transformer block (as GPT-2's): `h = x + Attn(LN₁(x))`, then `h + FF(LN₂(h))` with
 * `FF(z) = W₂·act(W₁·z + b₁) + b₂`. Children: `ln1`, `attn` ({@link MultiheadAttention}), `ln2`, `ff1`, `ff2`.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * import { TransformerBlock } from '@tapegrad/nn';
 * const block = new TransformerBlock(16, 2, { seed: 1 });
 * console.log(block.forward(randn([2, 7, 16])).shape); // [2, 7, 16]
 * ```
 * @category nn
 */
export class TransformerBlock extends Module {
  /** First LayerNorm. */
  readonly ln1: LayerNorm;
  /** Self-attention. */
  readonly attn: MultiheadAttention;
  /** Second LayerNorm. */
  readonly ln2: LayerNorm;
  /** Feed-forward up-projection. */
  readonly ff1: Linear;
  /** Feed-forward down-projection. */
  readonly ff2: Linear;
  /** Feed-forward activation. */
  readonly activation: 'gelu' | 'relu';
  readonly #drop: Dropout | null;

  /**
   * @param dModel Model width (≥ 1).
   * @param numHeads Heads; must divide dModel.
   * @param opts `dimFeedforward`, `activation`, `dropout`, `causal`, `eps`, `rng`/`seed`, `dtype`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad sizes or activation.
   */
  constructor(dModel: number, numHeads: number, opts: TransformerBlockOptions = {}) {
    super();
    const rng = opts.rng ?? new Rng(opts.seed ?? 0);
    const dtype = opts.dtype ?? 'float64';
    const eps = opts.eps ?? 1e-5;
    const ff = checkInt('TransformerBlock', 'dimFeedforward', opts.dimFeedforward ?? 4 * dModel);
    const activation = opts.activation ?? 'gelu';
    if (activation !== 'gelu' && activation !== 'relu') throw new ArgumentError(`TransformerBlock: activation must be 'gelu' or 'relu', got '${String(activation)}'`);
    this.activation = activation;
    this.ln1 = this.registerModule('ln1', new LayerNorm(dModel, { eps, dtype }));
    this.attn = this.registerModule('attn', new MultiheadAttention(dModel, numHeads, { causal: opts.causal ?? true, rng, dtype }));
    this.ln2 = this.registerModule('ln2', new LayerNorm(dModel, { eps, dtype }));
    this.ff1 = this.registerModule('ff1', new Linear(dModel, ff, { rng, dtype }));
    this.ff2 = this.registerModule('ff2', new Linear(ff, dModel, { rng, dtype }));
    const p = checkNumber('TransformerBlock', 'dropout', opts.dropout ?? 0);
    this.#drop = p > 0 ? this.registerModule('drop', new Dropout(p, { seed: rng.int(2 ** 31) })) : null;
  }

  /**
   * The block.
   * @param x Input `[b, t, dModel]`.
   * @returns `[b, t, dModel]`.
   */
  forward(x: Tensor): Tensor {
    return withScope('TransformerBlock', () => {
      const drop = (z: Tensor): Tensor => (this.#drop === null ? z : this.#drop.forward(z));
      const h = x.add(drop(this.attn.forward(this.ln1.forward(x))));
      const act = this.activation === 'gelu' ? gelu : relu;
      return h.add(drop(this.ff2.forward(act(this.ff1.forward(this.ln2.forward(h))))));
    });
  }
}
