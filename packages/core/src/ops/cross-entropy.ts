// crossEntropy: softmax cross-entropy of logits against integer class labels.
import { ArgumentError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { checkReduction, reduceLoss, type LossOptions } from './loss-reduction.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { oneHot } from './one-hot.ts';
import { softmax, softmaxKernel } from './softmax.ts';
import { sub } from './sub.ts';

interface CrossEntropyAttrs {
  readonly labels: Int32Array;
  /** The labels tensor they were read from (null for a plain array): `compile` reads it again on replay. */
  readonly source: Tensor | null;
}

const op = defineOp<CrossEntropyAttrs>({
  name: 'crossEntropy',
  rule: 'ℓᵢ = ln Σⱼ e^{zᵢⱼ} − zᵢₖ (k = labelᵢ), ∂ℓᵢ/∂zᵢⱼ = softmax(zᵢ)ⱼ − [j = k] ⇒ dz = dy·(softmax(z) − onehot)',
  backward: ({ inputs: [z], dy, attrs: { labels, source } }) => {
    const [m, c] = z!.shape as [number, number];
    // Labels given as a tensor go through the oneHot op, so a compiled step reads them afresh.
    let hot: Tensor;
    if (source !== null) hot = oneHot(source, c, { dtype: z!.dtype });
    else {
      const onehot = alloc(z!.dtype, m * c);
      labels.forEach((k, i) => (onehot[i * c + k] = 1));
      hot = Tensor.fromData(onehot, z!.shape, z!.dtype);
    }
    return [mul(reshape(dy, [m, 1]), sub(softmax(z!, 1), hot))];
  },
  // Labels from a tensor are read again from its current storage; a plain array is a constant.
  replay: ([z], { labels, source }) => crossEntropy(z!, source ?? Array.from(labels), { reduction: 'none' }),
});

/** Checks class labels: m integers in [0, c), from a tensor of any dtype or a plain array. */
function checkLabels(labels: Tensor | readonly number[], m: number, c: number): Int32Array {
  const isTensor = labels instanceof Tensor;
  if (!isTensor && !Array.isArray(labels)) throw new ArgumentError(`crossEntropy: labels must be a Tensor or an array of integers, got ${typeof labels}`);
  if (isTensor && labels.rank !== 1) throw new ShapeError(`crossEntropy: labels must be 1-D of shape [${m}], got labels ${fmt(labels.shape)}`);
  const values: ArrayLike<number> = isTensor ? labels.data : labels;
  if (values.length !== m) throw new ShapeError(`crossEntropy: labels must have one entry per row of logits (${m}), got ${values.length}`);
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const k = values[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= c) throw new ArgumentError(`crossEntropy: labels must be integers in [0, ${c}), got ${k} at index ${i}`);
    out[i] = k;
  }
  return out;
}

/**
 * Cross-entropy of logits against integer class labels: `ℓᵢ = ln Σⱼ e^{zᵢⱼ} − zᵢ,labelᵢ` (softmax and
 * negative log-likelihood in one stable step), reduced by the mean by default. Under the mean its
 * gradient is `(softmax(z) − onehot(labels)) / m`.
 * @param logits Scores of shape `[m, classes]`.
 * @param labels m class indices in `[0, classes)`: a tensor of integer values (any dtype) or a number array.
 * @param opts `reduction`: `'mean'` (default), `'sum'` or `'none'` (shape `[m]`).
 * @returns The loss: a scalar, or shape `[m]` for `'none'`.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when logits are not 2-D or labels do not have m entries.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a label that is not an integer in range, or an unknown reduction.
 * @example
 * ```ts
 * import { crossEntropy, tensor } from '@tapegrad/core';
 * console.log(crossEntropy(tensor([[0, 0], [0, 0]]), [0, 1]).item()); // 0.6931471805599453
 * ```
 * @category nn
 */
export function crossEntropy(logits: Tensor, labels: Tensor | readonly number[], opts?: LossOptions): Tensor {
  asTensor('crossEntropy', 'logits', logits);
  if (logits.rank !== 2) throw new ShapeError(`crossEntropy: logits must be 2-D [m, classes], got logits ${fmt(logits.shape)}`);
  const [m, c] = logits.shape as [number, number];
  const ks = checkLabels(labels, m, c);
  const reduction = checkReduction('crossEntropy', opts);
  const logp = softmaxKernel(logits, 1, true);
  const out = alloc(logits.dtype, m);
  for (let i = 0; i < m; i++) out[i] = -logp[i * c + ks[i]!]!;
  return reduceLoss(record(op, [logits], Tensor.fromData(out, [m], logits.dtype), { labels: ks, source: labels instanceof Tensor ? labels : null }), reduction);
}
