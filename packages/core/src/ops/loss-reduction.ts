// What the losses share: the reduction option (mean, sum, none) and the checks of predictions against targets.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt, sameShape } from '../base/shape.ts';
import type { Tensor } from '../graph/tensor.ts';
import { asTensor } from './define.ts';
import { mean } from './mean.ts';
import { sum } from './sum.ts';

/** How a loss reduces its per-element values: their mean (default), their sum, or none. @category nn */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of the losses. @category nn */
export interface LossOptions {
  /** `'mean'` (default), `'sum'` or `'none'` (the per-element losses). */
  readonly reduction?: Reduction;
}

/** Checks a loss's options and returns its reduction. @internal */
export function checkReduction(name: string, opts: LossOptions | undefined): Reduction {
  const r = opts?.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new ArgumentError(`${name}: reduction must be 'mean', 'sum' or 'none', got ${String(r)}`);
  return r;
}

/** Checks a prediction and a target of the same shape and dtype. @internal */
export function checkPair(name: string, predName: string, pred: Tensor, target: Tensor): void {
  asTensor(name, predName, pred);
  asTensor(name, 't', target);
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError(`${name}: ${predName} and t must have the same shape, got ${predName} ${fmt(pred.shape)} and t ${fmt(target.shape)}`);
  }
  if (pred.dtype !== target.dtype) throw new DTypeError(`${name}: ${predName} and t must have the same dtype, got ${predName} ${pred.dtype} and t ${target.dtype}`);
}

/** Checks that every target of a binary cross-entropy is a probability in [0, 1] (NaN included). @internal */
export function checkTargets(name: string, t: Tensor): void {
  const bad = t.data.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) throw new ArgumentError(`${name}: t must be targets in [0, 1], got ${t.data[bad]} at index ${bad}`);
}

/** Applies a loss reduction. @internal */
export function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? mean(loss) : reduction === 'sum' ? sum(loss) : loss;
}
