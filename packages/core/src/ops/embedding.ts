// embedding: rows of a table looked up by integer indices.
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { zeros } from '../graph/creation.ts';
import { scratchLike } from '../graph/grad-pool.ts';
import { asTensor, defineOp, record } from './define.ts';
import { readIndex } from './gather.ts';
import { selectAlong } from './index-select.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { scatterAdd } from './scatter-add.ts';

/** Options of {@link embedding}. @category nn */
export interface EmbeddingOptions {
  /** A row whose lookups get no gradient (as PyTorch's `padding_idx`); negative counts from the end. */
  readonly paddingIdx?: number;
}

interface EmbeddingAttrs {
  /** The n looked-up rows spread over [n, dim], for scatterAdd. */
  readonly spread: Tensor;
  /** [n, 1]: 0 for lookups of the padding row, else 1; null without one. */
  readonly keep: Tensor | null;
  /** The indices as given (a replay reads a tensor's current values) and the padding row. */
  readonly indices: Tensor | readonly number[];
  readonly paddingIdx: number | undefined;
}

const op = defineOp<EmbeddingAttrs>({
  name: 'embedding',
  rule: 'y[…, :] = W[indices[…], :], each y element is one W element ⇒ dW = scatterAdd(0, 0, indices, dy as [n, dim]) (repeats add up; the padding row gets 0)',
  backward: ({ inputs: [w], dy, attrs: { spread, keep } }) => {
    const g = reshape(dy, spread.shape);
    return [scatterAdd(zeros(w!.shape, { dtype: dy.dtype }), 0, spread, keep === null ? g : mul(g, keep))];
  },
  // The same sums in the same order (so the same bits), row by row into a zeroed table; the rule's scatterAdd
  // checks and maps each of the n·dim index entries again. W6's [32, 16] lookups into [28, 64]: rule
  // 1.2–1.7 ms, this 0.06–0.10 ms (float64; float32 1.3–2.9 vs 0.09–0.14 ms; op.backward vs op.rawBackward
  // on one context, median of 31, load 11).
  replay: ([w], { indices, paddingIdx }) => lookup(indices, w!, paddingIdx),
  rawBackward: ({ inputs: [w], dy, attrs: { spread, keep } }) => {
    const [num, dim] = w!.shape as [number, number];
    const dw = scratchLike(dy.data, num * dim).fill(0);
    const s = spread.data;
    const g = dy.data;
    const kd = keep?.data;
    for (let i = 0, r = 0; r < g.length; i++, r += dim) {
      const o = s[r]! * dim;
      const f = kd === undefined ? 1 : kd[i]!;
      for (let j = 0; j < dim; j++) dw[o + j] = dw[o + j]! + g[r + j]! * f;
    }
    return [Tensor.fromData(dw, w!.shape, w!.dtype)];
  },
});

/**
 * Looks up rows of an embedding table: `y[…, :] = weight[indices[…], :]`, as PyTorch's
 * `torch.nn.functional.embedding`.
 * @param indices Integers in `[0, num)` of any shape: a tensor or a flat array. No gradient flows to them.
 * @param weight The table, `[num, dim]`.
 * @param opts `paddingIdx`: a row whose lookups pass no gradient to the table.
 * @returns Shape `[...indices.shape, dim]`.
 * @throws {@link ShapeError} when weight is not 2-D.
 * @throws {@link ArgumentError} for an index that is not an integer in range, or a bad `paddingIdx`.
 * @example
 * ```ts
 * import { embedding, tensor } from '@tapegrad/core';
 * console.log(embedding([2, 0], tensor([[1, 1], [2, 2], [3, 3]])).toArray()); // [[3, 3], [1, 1]]
 * ```
 * @category nn
 */
export function embedding(indices: Tensor | readonly number[], weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  asTensor('embedding', 'weight', weight);
  if (weight.rank !== 2) throw new ShapeError(`embedding: weight must be 2-D [num, dim], got weight ${fmt(weight.shape)}`);
  const num = weight.shape[0]!;
  let pad = opts.paddingIdx;
  if (pad !== undefined) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) throw new ArgumentError(`embedding: paddingIdx must be an integer in [${-num}, ${num - 1}], got ${pad}`);
    if (pad < 0) pad += num;
  }
  const { output, attrs } = lookup(indices, weight, pad);
  return record(op, [weight], output, attrs);
}

function lookup(indices: Tensor | readonly number[], weight: Tensor, pad: number | undefined): { readonly output: Tensor; readonly attrs: EmbeddingAttrs } {
  const [num, dim] = weight.shape as [number, number];
  const { values, shape } = readIndex('embedding', 'indices', indices, num);
  const { y } = selectAlong(weight, 0, values);
  const n = values.length;
  const spread = new Float64Array(n * dim);
  values.forEach((k, i) => spread.fill(k, i * dim, (i + 1) * dim));
  const keep = pad === undefined ? null : Tensor.fromData(Float64Array.from(values, (k) => (k === pad ? 0 : 1)), [n, 1], 'float64');
  const attrs = { spread: Tensor.fromData(spread, [n, dim], 'float64'), keep: keep === null ? null : keep.astype(weight.dtype), indices, paddingIdx: pad };
  return { output: Tensor.fromData(y.data, [...shape, dim], weight.dtype), attrs };
}
