// scaledDotProductAttention: softmax(q·kᵀ/√d + mask)·v, written with ops so the engine derives its gradient.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { broadcastShapes, fmt } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { tensor } from '../graph/creation.ts';
import { asTensor } from './define.ts';
import { matmul } from './matmul.ts';
import { mul } from './mul.ts';
import { softmax } from './softmax.ts';
import { where } from './where.ts';

/** Options of {@link scaledDotProductAttention}. @category nn */
export interface AttentionOptions {
  /** Which keys each query may attend to: nonzero = attend, 0 = masked (PyTorch's boolean mask); broadcasts to `[…, Lq, Lk]`. */
  readonly mask?: Tensor;
  /** Mask the future: query i attends to keys j ≤ i (default false). */
  readonly causal?: boolean;
  /** The score scale (default 1/√d, d = the last axis of q). */
  readonly scale?: number;
}

/**
 * Scaled dot-product attention, as PyTorch's `F.scaled_dot_product_attention`:
 * `y = softmax(q·kᵀ·scale, masked to −∞ where not allowed)·v`. It is composed of `matmul`, `mul`,
 * `where` and `softmax`, so its gradient is the engine's chain of their rules (checked by gradcheck
 * and gradgradcheck in the op-spec table). A query with every key masked gets NaN, as in PyTorch.
 * @param q Queries, `[…, Lq, d]`.
 * @param k Keys, `[…, Lk, d]`.
 * @param v Values, `[…, Lk, dv]`.
 * @param opts `mask`, `causal`, `scale`.
 * @returns Shape `[…, Lq, dv]` (leading axes broadcast).
 * @throws {@link ShapeError} when the shapes do not fit or the mask does not broadcast.
 * @throws {@link DTypeError} when the dtypes differ.
 * @throws {@link ArgumentError} for a scale that is not a finite number.
 * @example
 * ```ts
 * import { scaledDotProductAttention, tensor } from '@tapegrad/core';
 * const q = tensor([[1, 0], [0, 1]]);
 * console.log(scaledDotProductAttention(q, q, tensor([[1], [2]]), { causal: true }).toArray()[0]); // [1]
 * ```
 * @category nn
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  asTensor('scaledDotProductAttention', 'q', q);
  asTensor('scaledDotProductAttention', 'k', k);
  asTensor('scaledDotProductAttention', 'v', v);
  const shapes = `q ${fmt(q.shape)}, k ${fmt(k.shape)} and v ${fmt(v.shape)}`;
  if (q.rank < 2 || k.rank < 2 || v.rank < 2) throw new ShapeError(`scaledDotProductAttention: q, k and v must be at least 2-D [L, d], got ${shapes}`);
  if (q.dtype !== k.dtype || q.dtype !== v.dtype) throw new DTypeError(`scaledDotProductAttention: q, k and v must have one dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  const d = q.shape[q.rank - 1]!;
  const lq = q.shape[q.rank - 2]!;
  const lk = k.shape[k.rank - 2]!;
  if (k.shape[k.rank - 1] !== d || v.shape[v.rank - 2] !== lk) {
    throw new ShapeError(`scaledDotProductAttention: k must be […, Lk, ${d}] and v […, Lk, dv] with the same Lk, got ${shapes}`);
  }
  try {
    broadcastShapes(broadcastShapes(q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
  } catch {
    throw new ShapeError(`scaledDotProductAttention: the batch axes of q, k and v must broadcast, got ${shapes}`);
  }
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ArgumentError(`scaledDotProductAttention: scale must be a finite number, got ${scale}`);
  let allow: Tensor | null = null;
  if (opts.mask !== undefined) {
    asTensor('scaledDotProductAttention', 'mask', opts.mask);
    try {
      broadcastShapes(opts.mask.shape, [lq, lk]);
    } catch {
      throw new ShapeError(`scaledDotProductAttention: mask must broadcast to […, ${lq}, ${lk}], got mask ${fmt(opts.mask.shape)}`);
    }
    allow = opts.mask.detach();
  }
  if (opts.causal) {
    const tri = tensor(Array.from({ length: lq * lk }, (_, i) => Number(i % lk <= Math.floor(i / lk))), { shape: [lq, lk], dtype: q.dtype });
    allow = allow === null ? tri : where(allow, tri, 0);
  }
  let scores = mul(matmul(q, k, { transposeB: true }), scale);
  if (allow !== null) scores = where(allow, scores, -Infinity);
  return matmul(softmax(scores, -1), v);
}
