import { Rng, slice, tensor, type Tensor } from '@tapegrad/core';
import { Embedding, LayerNorm, Linear, Module, TransformerBlock, WORD_ALPHABET } from '@tapegrad/nn';

/**
 * A small decoder-only transformer: token and position embeddings, `blocks` causal pre-norm blocks, a final
 * LayerNorm and a linear head read at the last position (the next character after the context).
 */
export class WordsTransformer extends Module {
  /** Token embedding. */
  readonly tok: Embedding;
  /** Position embedding. */
  readonly pos: Embedding;
  /** The blocks. */
  readonly blocks: readonly TransformerBlock[];
  /** Final LayerNorm. */
  readonly lnf: LayerNorm;
  /** Output head. */
  readonly head: Linear;
  readonly #positions: Tensor;

  /**
   * @param contextSize Characters of context.
   * @param width Model width (4 heads).
   * @param blocks Number of blocks.
   * @param seed Seed of the initial weights.
   */
  constructor(contextSize: number, width: number, blocks: number, seed: number) {
    super();
    const rng = new Rng(seed);
    this.tok = this.registerModule('tok', new Embedding(WORD_ALPHABET.length, width, { rng }));
    this.pos = this.registerModule('pos', new Embedding(contextSize, width, { rng }));
    // N(0, 1) embeddings are large next to the residual updates; GPT-2 uses N(0, 0.02²), this uses 0.1.
    for (const e of [this.tok, this.pos]) e.weight.data.forEach((v, i, d) => (d[i] = 0.1 * v));
    this.blocks = Array.from({ length: blocks }, (_, i) => this.registerModule(`block${i}`, new TransformerBlock(width, 4, { rng })));
    this.lnf = this.registerModule('lnf', new LayerNorm(width));
    this.head = this.registerModule('head', new Linear(width, WORD_ALPHABET.length, { rng }));
    this.#positions = tensor(Array.from({ length: contextSize }, (_, i) => i));
  }

  /** @param x Contexts `[b, t]`. @returns Next-character logits `[b, 27]`. */
  forward(x: Tensor): Tensor {
    const [b, t] = [x.shape[0]!, x.shape[1]!];
    let h = this.tok.forward(x).add(this.pos.forward(this.#positions));
    for (const block of this.blocks) h = block.forward(h);
    const last = slice(h, 1, t - 1, t).reshape([b, h.shape[2]!]);
    return this.head.forward(this.lnf.forward(last));
  }
}
