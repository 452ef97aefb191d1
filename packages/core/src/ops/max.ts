// max and the shared extremum kernel: the maximum over axes, ties sharing the gradient evenly.
import { ShapeError } from '../base/errors.ts';
import { broadcastIndex, fmt, normalizeAxes, reducedShape } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import type { FloatArray } from '../base/dtype.ts';
import { alloc, asTensor, defineOp, record, type OpDef } from './define.ts';
import { div } from './div.ts';
import { eq } from './eq.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { sum } from './sum.ts';

interface ExtremumAttrs {
  readonly axes: readonly number[];
  readonly kept: readonly number[];
}

/** The op of `max` or `min`: ties share the gradient evenly (as PyTorch's `amax`/`amin`), the mean of the one-sided subgradients. */
function extremumOp(name: 'max' | 'min'): OpDef<ExtremumAttrs> {
  return defineOp<ExtremumAttrs>({
    name,
    rule: `y = ${name} over the axes, ∂y/∂xᵢ = [xᵢ = y] / #{j : xⱼ = y} (ties split evenly) ⇒ dx = dy·[x = y] / count`,
    backward: ({ inputs: [x], output: y, dy, attrs: { axes, kept } }) => {
      const mask = eq(x!, reshape(y, kept));
      return [mul(div(reshape(dy, kept), sum(mask, axes, true)), mask)];
    },
    replay: ([x], { kept }, shape) => Tensor.fromData(extremumKernel(x!, kept, name === 'max'), shape, x!.dtype),
  });
}

/** The max (or min) of `x` into the shape `kept`; NaN propagates. @internal */
export function extremumKernel(x: Tensor, kept: readonly number[], isMax: boolean): FloatArray {
  const out = alloc(x.dtype, kept.reduce((n, d) => n * d, 1)).fill(isMax ? -Infinity : Infinity);
  const xd = x.data;
  const idx = broadcastIndex(x.shape, kept);
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i]!;
    const j = idx[i]!;
    const o = out[j]!;
    if (isMax ? v > o : v < o) out[j] = v;
    else if (v !== v) out[j] = v;
  }
  return out;
}

/** Validates and runs a max/min reduction. @internal */
export function extremum(name: 'max' | 'min', x: Tensor, axis: number | readonly number[] | undefined, keepdims: boolean): Tensor {
  asTensor(name, 'x', x);
  const axes = normalizeAxes(name, axis, x.shape);
  for (const a of axes) {
    if (x.shape[a] === 0) throw new ShapeError(`${name}: reduced axes must not be empty, got axis ${a} of size 0 for shape ${fmt(x.shape)}`);
  }
  const kept = reducedShape(x.shape, axes, true);
  const y = Tensor.fromData(extremumKernel(x, kept, name === 'max'), reducedShape(x.shape, axes, keepdims), x.dtype);
  return record(name === 'max' ? maxOp : minOp, [x], y, { axes, kept });
}

const maxOp = extremumOp('max');
const minOp = extremumOp('min');

/**
 * Maximum over `axis` (all axes when absent): `y = maxᵢ xᵢ`. Where several elements tie for the
 * maximum, the gradient is split evenly among them (as PyTorch's `amax`).
 * @param x The tensor.
 * @param axis An axis or a list of axes; negative axes count from the end.
 * @param keepdims Keep the reduced axes as size 1.
 * @returns The maxima.
 * @throws {@link ShapeError} for an axis out of range, repeated or of size 0.
 * @example
 * ```ts
 * import { max, tensor } from '@tapegrad/core';
 * console.log(max(tensor([[1, 5], [7, 2]]), 1).toArray()); // [5, 7]
 * ```
 * @category Reduction
 */
export function max(x: Tensor, axis?: number | readonly number[], keepdims = false): Tensor {
  return extremum('max', x, axis, keepdims);
}
