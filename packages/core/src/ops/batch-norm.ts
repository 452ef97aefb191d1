// batchNorm: normalization per channel over the batch (training) or by running statistics (eval).
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import { fmt } from '../base/shape.ts';
import { Tensor } from '../graph/tensor.ts';
import { add } from './add.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { div } from './div.ts';
import { normalized } from './layer-norm.ts';
import { mean } from './mean.ts';
import { mul } from './mul.ts';
import { reshape } from './reshape.ts';
import { sqrt } from './sqrt.ts';
import { sub } from './sub.ts';

/** Options of {@link batchNorm} (PyTorch's names). @category nn */
export interface BatchNormOptions {
  /** Normalize by the batch's statistics and update the running ones (default false: use the running ones). */
  readonly training?: boolean;
  /** Weight of the new batch in the running averages (default 0.1). */
  readonly momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  readonly eps?: number;
}

interface BatchNormAttrs {
  readonly axes: readonly number[];
  readonly eps: number;
  /** [1, C, 1, …]: how weight broadcasts against x. */
  readonly channel: readonly number[];
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
  /** The running statistics the forward updated (a replay updates them again, in place). */
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly momentum: number;
}

const op = defineOp<BatchNormAttrs>({
  name: 'batchNorm',
  // The same derivation as layerNorm, with the means over every axis but the channel axis 1:
  // ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/M − x̂ᵢx̂ⱼ/M)/σ per channel ⇒ dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ.
  rule: 'y = x̂·w + b, x̂ = (x − μ_c)/σ_c over the batch ⇒ dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ with ĝ = dy·w, dw = Σ dy·x̂, db = Σ dy',
  backward: ({ inputs, dy, attrs: { axes, eps, channel, hasWeight, hasBias } }) => {
    const x = inputs[0]!;
    const w = hasWeight ? reshape(inputs[1]!, channel) : null;
    const { xhat, rstd } = normalized(x, axes, eps);
    const g = w === null ? dy : mul(dy, w);
    const dx = x.requiresGrad ? mul(rstd, sub(sub(g, mean(g, axes, true)), mul(xhat, mean(mul(g, xhat), axes, true)))) : null;
    const grads: (Tensor | null)[] = [dx];
    if (hasWeight) grads.push(inputs[1]!.requiresGrad ? reshape(mul(dy, xhat).sum(axes), inputs[1]!.shape) : null);
    if (hasBias) grads.push(inputs[inputs.length - 1]!.requiresGrad ? reshape(dy.sum(axes), [channel[1]!]) : null);
    return grads;
  },
  replay: ([x, ...rest], { eps, hasWeight, hasBias, runningMean, runningVar, momentum }) =>
    batchNorm(x!, runningMean, runningVar, hasWeight ? rest[0] : null, hasBias ? rest[rest.length - 1] : null, { training: true, momentum, eps }),
});

function checkChannel(name: string, t: Tensor | null | undefined, c: number, x: Tensor): void {
  if (t === undefined || t === null) return;
  asTensor('batchNorm', name, t);
  if (t.rank !== 1 || t.shape[0] !== c) throw new ShapeError(`batchNorm: ${name} must be [${c}] (one per channel of x ${fmt(x.shape)}), got ${name} ${fmt(t.shape)}`);
  if (t.dtype !== x.dtype) throw new DTypeError(`batchNorm: ${name} must have x's dtype ${x.dtype}, got ${t.dtype}`);
}

/**
 * Batch normalization over the channel axis 1 of `[N, C, …]` inputs, as PyTorch's `F.batch_norm`:
 * `y = (x − μ)/√(var + ε)·w + b` per channel. Training uses the batch's mean and biased variance, and
 * updates the running statistics in place (`r ← (1 − momentum)·r + momentum·stat`, with the unbiased
 * variance, as PyTorch); eval uses the running statistics.
 * @param x The input, `[N, C]` or `[N, C, …]`.
 * @param runningMean `[C]`, or null; required in eval. Updated in place while training.
 * @param runningVar `[C]`, or null; required in eval. Updated in place while training.
 * @param weight Optional scale, `[C]`.
 * @param bias Optional shift, `[C]`.
 * @param opts `training` (default false), `momentum` (default 0.1), `eps` (default 1e-5).
 * @returns The normalized tensor, in x's shape.
 * @throws {@link ShapeError} when x has fewer than 2 axes or a statistic or parameter is not `[C]`.
 * @throws {@link ArgumentError} for missing running statistics in eval, a bad momentum or eps, one value per channel while training, or running statistics that require grad.
 * @throws {@link DTypeError} when the dtypes differ.
 * @example
 * ```ts
 * import { batchNorm, tensor, zeros, ones } from '@tapegrad/core';
 * const rm = zeros([1]);
 * const y = batchNorm(tensor([[1], [3]]), rm, ones([1]), null, null, { training: true, eps: 0 });
 * console.log(y.toArray(), rm.toArray()); // [[-1], [1]] [0.2]
 * ```
 * @category nn
 */
export function batchNorm(
  x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null, opts: BatchNormOptions = {},
): Tensor {
  asTensor('batchNorm', 'x', x);
  if (x.rank < 2) throw new ShapeError(`batchNorm: x must be [N, C, …] with at least 2 axes, got x ${fmt(x.shape)}`);
  const c = x.shape[1]!;
  const stats = [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const;
  for (const [name, t] of stats) checkChannel(name, t, c, x);
  for (const [name, t] of stats.slice(0, 2)) {
    if (t && t.requiresGrad) throw new ArgumentError(`batchNorm: ${name} must not require grad (it is a statistic updated in place), got a tensor that requires grad`);
  }
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw new ArgumentError(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new ArgumentError(`batchNorm: eps must be a finite number ≥ 0, got ${eps}`);
  const channel = x.shape.map((_, i) => (i === 1 ? c : 1));
  if (!training) {
    if (!runningMean || !runningVar) throw new ArgumentError('batchNorm: eval (training false) needs runningMean and runningVar, got null');
    // y = (x − r_μ)·(w/√(r_σ² + ε)) + b: constants per channel, so the elementwise rules give the gradients.
    let scale: Tensor = div(1, sqrt(add(reshape(runningVar, channel), eps)));
    if (weight) scale = mul(scale, reshape(weight, channel));
    const y = mul(sub(x, reshape(runningMean, channel)), scale);
    return bias ? add(y, reshape(bias, channel)) : y;
  }
  const inner = x.shape.slice(2).reduce((p, d) => p * d, 1);
  const n = x.shape[0]!;
  const m = n * inner;
  if (m < 2) throw new ArgumentError(`batchNorm: training needs more than one value per channel, got x ${fmt(x.shape)}`);
  const xd = x.data;
  const mu = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) s += xd[(b * c + ch) * inner + i]!;
    const mc = s / m;
    let q = 0;
    for (let b = 0; b < n; b++) for (let i = 0; i < inner; i++) q += (xd[(b * c + ch) * inner + i]! - mc) ** 2;
    mu[ch] = mc;
    variance[ch] = q / m;
  }
  const out = alloc(x.dtype, xd.length);
  const wd = weight?.data;
  const bd = bias?.data;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const rstd = 1 / Math.sqrt(variance[ch]! + eps);
      const scale = wd === undefined ? rstd : rstd * wd[ch]!;
      const shift = bd === undefined ? 0 : bd[ch]!;
      for (let i = 0; i < inner; i++) {
        const j = (b * c + ch) * inner + i;
        out[j] = (xd[j]! - mu[ch]!) * scale + shift;
      }
    }
  }
  if (runningMean) {
    for (let ch = 0; ch < c; ch++) runningMean.data[ch] = (1 - momentum) * runningMean.data[ch]! + momentum * mu[ch]!;
    runningMean.bumpVersion();
  }
  if (runningVar) {
    for (let ch = 0; ch < c; ch++) runningVar.data[ch] = (1 - momentum) * runningVar.data[ch]! + momentum * variance[ch]! * (m / (m - 1));
    runningVar.bumpVersion();
  }
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const attrs = { axes, eps, channel, hasWeight: !!weight, hasBias: !!bias, runningMean, runningVar, momentum };
  return record(op, inputs, Tensor.fromData(out, x.shape, x.dtype), attrs);
}
