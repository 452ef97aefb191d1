// oneHot: integer labels to 0/1 rows (no gradient).
import { ArgumentError } from '../base/errors.ts';
import { Tensor } from '../graph/tensor.ts';
import { type DType } from '../base/dtype.ts';
import { alloc, defineOp, record } from './define.ts';
import { readIndex } from './gather.ts';

/** Options of {@link oneHot}. @category nn */
export interface OneHotOptions {
  /** The result's dtype (default float64). */
  readonly dtype?: DType;
}

interface OneHotAttrs {
  readonly classes: number;
  readonly dtype: DType;
  /** Labels given as a plain array (a tensor is the op's input). */
  readonly constant: readonly number[] | null;
}

const op = defineOp<OneHotAttrs>({
  name: 'oneHot',
  rule: 'integer labels to 0/1 rows: no gradient',
  isNondifferentiable: true,
  replay: (inputs, { classes, dtype, constant }) => oneHot(inputs[0] ?? constant!, classes, { dtype }),
});

/**
 * One-hot encoding: `y[…, k] = [labels[…] = k]`. Labels are data, not a function of parameters, so
 * there is no gradient (nothing is recorded).
 * @param labels Integers in `[0, classes)` of any shape: a tensor or a flat array.
 * @param classes The number of classes (a positive integer).
 * @param opts `dtype` of the result (default float64).
 * @returns Shape `[...labels.shape, classes]`, zeros with a single 1 per row.
 * @throws {@link ArgumentError} when `classes` is not a positive integer or a label is out of range.
 * @example
 * ```ts
 * import { oneHot } from '@tapegrad/core';
 * console.log(oneHot([2, 0], 3).toArray()); // [[0, 0, 1], [1, 0, 0]]
 * ```
 * @category nn
 */
export function oneHot(labels: Tensor | readonly number[], classes: number, opts: OneHotOptions = {}): Tensor {
  if (!Number.isInteger(classes) || classes < 1) throw new ArgumentError(`oneHot: classes must be a positive integer, got ${classes}`);
  const { values, shape } = readIndex('oneHot', 'labels', labels, classes);
  const dtype = opts.dtype ?? 'float64';
  const out = alloc(dtype, values.length * classes);
  values.forEach((k, i) => (out[i * classes + k] = 1));
  const inputs = labels instanceof Tensor ? [labels] : [];
  return record(op, inputs, Tensor.fromData(out, [...shape, classes], dtype), { classes, dtype, constant: labels instanceof Tensor ? null : labels });
}
