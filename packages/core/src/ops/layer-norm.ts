// layerNorm: normalization over the trailing axes, with optional scale and shift.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import type { FloatArray } from '../base/dtype.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { scratchLike } from '../graph/grad-pool.ts';
import { Tensor } from '../graph/tensor.ts';
import { add } from './add.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { div } from './div.ts';
import { mean } from './mean.ts';
import { mul } from './mul.ts';
import { sqrt } from './sqrt.ts';
import { square } from './square.ts';
import { sub } from './sub.ts';

/** Options of {@link layerNorm}. @category nn */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  readonly eps?: number;
}

interface LayerNormAttrs {
  readonly axes: readonly number[];
  readonly eps: number;
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

/** x̂ = (x − μ)/√(var + ε) over `axes` (biased variance), written with public ops so rules using it stay differentiable. @internal */
export function normalized(x: Tensor, axes: readonly number[], eps: number): { readonly xhat: Tensor; readonly rstd: Tensor } {
  const xc = sub(x, mean(x, axes, true));
  const rstd = div(1, sqrt(add(mean(square(xc), axes, true), eps)));
  return { xhat: mul(xc, rstd), rstd };
}

const op = defineOp<LayerNormAttrs>({
  name: 'layerNorm',
  // With ĝ = dy·w and means over the normalized axes: ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/N − x̂ᵢx̂ⱼ/N)/σ, so
  // dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ; the engine sums dw = dy·x̂ and db = dy over the leading axes.
  rule: 'y = x̂·w + b, x̂ = (x − μ)/σ, σ = √(var + ε) ⇒ dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ with ĝ = dy·w, dw = Σ dy·x̂, db = Σ dy',
  backward: ({ inputs, dy, attrs: { axes, eps, hasWeight, hasBias } }) => {
    const x = inputs[0]!;
    const w = hasWeight ? inputs[1]! : null;
    const { xhat, rstd } = normalized(x, axes, eps);
    const g = w === null ? dy : mul(dy, w);
    const dx = x.requiresGrad ? mul(rstd, sub(sub(g, mean(g, axes, true)), mul(xhat, mean(mul(g, xhat), axes, true)))) : null;
    const grads: (Tensor | null)[] = [dx];
    if (hasWeight) grads.push(w!.requiresGrad ? mul(dy, xhat) : null);
    if (hasBias) grads.push(inputs[inputs.length - 1]!.requiresGrad ? dy : null);
    return grads;
  },
  replay: ([x, ...rest], { axes, eps, hasWeight, hasBias }) =>
    layerNorm(x!, x!.shape.slice(axes[0]), hasWeight ? rest[0] : null, hasBias ? rest[rest.length - 1] : null, { eps }),
  // The same formulas in one pass per row. The rule above runs ~20 ops over [rows, N] buffers (x̂ is
  // recomputed, each mean broadcast back): on W6's [32, 16, 64] with weight and bias it takes 1.3 ms
  // (float64) and 1.3 ms (float32), this 0.32 ms and 0.78 ms (op.backward vs op.rawBackward on one
  // context, median of 31, load 10); in the whole W6 step the three layerNorm backward passes went
  // from 11.4 to 2.2 ms of CPU time (float64).
  rawBackward: ({ inputs, dy, attrs: { axes, eps, hasWeight, hasBias } }) => {
    const x = inputs[0]!;
    const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const w = hasWeight ? inputs[1]! : null;
    const b = hasBias ? inputs[inputs.length - 1]! : null;
    const dx = x.requiresGrad ? scratchLike(dy.data, x.size) : null;
    const dw = w?.requiresGrad ? scratchLike(dy.data, n).fill(0) : null;
    const db = b?.requiresGrad ? scratchLike(dy.data, n).fill(0) : null;
    layerNormGrads(x.data, w?.data ?? null, dy.data, n, eps, dx, dw, db);
    const grads: (Tensor | null)[] = [dx && Tensor.fromData(dx, x.shape, x.dtype)];
    if (w !== null) grads.push(dw && Tensor.fromData(dw, w.shape, w.dtype));
    if (b !== null) grads.push(db && Tensor.fromData(db, b.shape, b.dtype));
    return grads;
  },
});

/** [μ, 1/√(var + ε)] of the row last passed to {@link rowStats}. */
const stats = new Float64Array(2);

/** The mean and reciprocal standard deviation of `xd[base … base + n)`, into {@link stats}: one definition for the forward and the raw backward, so both see the same bits. */
function rowStats(xd: FloatArray, base: number, n: number, eps: number): void {
  let mu = 0;
  for (let i = 0; i < n; i++) mu += xd[base + i]!;
  mu /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xd[base + i]! - mu) ** 2;
  stats[0] = mu;
  stats[1] = 1 / Math.sqrt(v / n + eps);
}

/** The raw rule's loop: per row of n, x̂ and σ as forward, then dx, and dw, db summed over the rows. */
function layerNormGrads(
  xd: FloatArray, wd: FloatArray | null, g: FloatArray, n: number, eps: number,
  dx: FloatArray | null, dw: FloatArray | null, db: FloatArray | null,
): void {
  const rows = n === 0 ? 0 : xd.length / n;
  const xhat = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    rowStats(xd, base, n, eps);
    const mu = stats[0]!;
    const rstd = stats[1]!;
    let mg = 0;
    let mgx = 0;
    for (let i = 0; i < n; i++) {
      const h = (xd[base + i]! - mu) * rstd;
      const gi = wd === null ? g[base + i]! : g[base + i]! * wd[i]!;
      xhat[i] = h;
      mg += gi;
      mgx += gi * h;
    }
    mg /= n;
    mgx /= n;
    for (let i = 0; i < n; i++) {
      const dyi = g[base + i]!;
      if (dx !== null) dx[base + i] = rstd * ((wd === null ? dyi : dyi * wd[i]!) - mg - xhat[i]! * mgx);
      if (dw !== null) dw[i] = dw[i]! + dyi * xhat[i]!;
      if (db !== null) db[i] = db[i]! + dyi;
    }
  }
}

/**
 * Layer normalization over the trailing `normalizedShape` axes, as PyTorch's `F.layer_norm`:
 * `y = (x − μ)/√(var + ε)·w + b`, with the mean μ and the biased variance taken over those axes.
 * @param x The tensor; its trailing dimensions must equal `normalizedShape`.
 * @param normalizedShape The trailing shape to normalize over (a number for one axis).
 * @param weight Optional scale w, of shape `normalizedShape`.
 * @param bias Optional shift b, of shape `normalizedShape`.
 * @param opts `eps` (default 1e-5).
 * @returns The normalized tensor, in x's shape.
 * @throws {@link ShapeError} when x's trailing shape, weight or bias do not match `normalizedShape`.
 * @throws {@link DTypeError} when weight or bias have another dtype than x.
 * @throws {@link ArgumentError} for a negative or non-finite `eps`.
 * @example
 * ```ts
 * import { layerNorm, tensor } from '@tapegrad/core';
 * console.log(layerNorm(tensor([[1, 3]]), [2], undefined, undefined, { eps: 0 }).toArray()); // [[-1, 1]]
 * ```
 * @category nn
 */
export function layerNorm(x: Tensor, normalizedShape: number | Shape, weight?: Tensor | null, bias?: Tensor | null, opts: LayerNormOptions = {}): Tensor {
  asTensor('layerNorm', 'x', x);
  const norm = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  const k = norm.length;
  if (k === 0 || k > x.rank || !sameShape(x.shape.slice(x.rank - k), norm)) {
    throw new ShapeError(`layerNorm: normalizedShape must be a non-empty trailing part of x's shape, got x ${fmt(x.shape)} and normalizedShape ${fmt(norm)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === undefined || t === null) continue;
    asTensor('layerNorm', name, t);
    if (!sameShape(t.shape, norm)) throw new ShapeError(`layerNorm: ${name} must have shape normalizedShape ${fmt(norm)}, got ${name} ${fmt(t.shape)}`);
    if (t.dtype !== x.dtype) throw new DTypeError(`layerNorm: ${name} must have x's dtype ${x.dtype}, got ${t.dtype}`);
  }
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ArgumentError(`layerNorm: eps must be a finite number ≥ 0, got ${eps}`);
  const n = norm.reduce((p, d) => p * d, 1);
  const rows = n === 0 ? 0 : x.size / n;
  const xd = x.data;
  const out = alloc(x.dtype, xd.length);
  const wd = weight?.data;
  const bd = bias?.data;
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    rowStats(xd, base, n, eps);
    const mu = stats[0]!;
    const rstd = stats[1]!;
    for (let i = 0; i < n; i++) {
      const h = (xd[base + i]! - mu) * rstd;
      out[base + i] = (wd === undefined ? h : h * wd[i]!) + (bd === undefined ? 0 : bd[i]!);
    }
  }
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
  return record(op, inputs, Tensor.fromData(out, x.shape, x.dtype), { axes, eps, hasWeight: !!weight, hasBias: !!bias });
}
