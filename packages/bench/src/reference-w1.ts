/**
 * W1's training step by hand in plain TypeScript, float64 throughout: the loss
 * oracle for every engine and a baseline in the W1 tables.
 *
 * Forward, for each layer l: zₗ = hₗ₋₁·Wₗᵀ + bₗ, hₗ = σ(zₗ), h₀ = X.
 * Loss: L = −mean(y·log p + (1 − y)·log(1 − p)), p = h_last.
 * Backward: dz_last = (p − y)/B (σ and the cross-entropy folded together);
 * dhₗ₋₁ = dzₗ·Wₗ, dzₗ = dhₗ·hₗ·(1 − hₗ); dWₗ = dzₗᵀ·hₗ₋₁, dbₗ = Σ_batch dzₗ.
 * Update: W ← W − lr·dW, b ← b − lr·db.
 */
import type { LayerParams, W1Data } from './harness.js';

/** A float64 W1 model whose `step` trains it in place. */
export interface ReferenceW1 {
  /** One forward + backward + SGD step; returns the loss before the update. */
  step(): number;
  /** The current parameters (live views, not copies). */
  readonly layers: readonly LayerParams[];
}

/** out[B, n] = a[B, k] · w[n, k]ᵀ + bias[n] */
function affine(
  a: Float64Array,
  w: Float64Array,
  bias: Float64Array,
  rows: number,
  k: number,
  n: number,
): Float64Array {
  const out = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    const aRow = i * k;
    for (let j = 0; j < n; j++) {
      const wRow = j * k;
      let s = bias[j]!;
      for (let t = 0; t < k; t++) s += a[aRow + t]! * w[wRow + t]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

/**
 * Creates the reference model from W1's initial parameters (copied, so the
 * data set stays pristine for the other engines).
 *
 * @param data - W1's inputs
 * @returns the model
 */
export function createReferenceW1(data: W1Data): ReferenceW1 {
  const { x, y } = data;
  const batch = data.size.batch;
  const lr = data.size.lr;
  const layers: LayerParams[] = data.layers.map((l) => ({
    in: l.in,
    out: l.out,
    w: Float64Array.from(l.w),
    b: Float64Array.from(l.b),
  }));

  const step = (): number => {
    const acts: Float64Array[] = [x];
    for (const layer of layers) {
      const z = affine(acts[acts.length - 1]!, layer.w, layer.b, batch, layer.in, layer.out);
      for (let i = 0; i < z.length; i++) z[i] = 1 / (1 + Math.exp(-z[i]!));
      acts.push(z);
    }
    const p = acts[acts.length - 1]!;
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      const pi = p[i]!;
      const yi = y[i]!;
      loss -= yi * Math.log(pi) + (1 - yi) * Math.log(1 - pi);
    }
    loss /= batch;

    // dL/dp = −(y/p − (1 − y)/(1 − p))/B and dp/dz = p(1 − p)  ⇒  dz = (p − y)/B
    let dz = new Float64Array(batch);
    for (let i = 0; i < batch; i++) dz[i] = (p[i]! - y[i]!) / batch;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l]!;
      const hPrev = acts[l]!;
      const { in: k, out: n } = layer;
      const dw = new Float64Array(n * k);
      const db = new Float64Array(n);
      for (let i = 0; i < batch; i++) {
        for (let j = 0; j < n; j++) {
          const g = dz[i * n + j]!;
          db[j] = db[j]! + g;
          const wRow = j * k;
          const hRow = i * k;
          for (let t = 0; t < k; t++) dw[wRow + t] = dw[wRow + t]! + g * hPrev[hRow + t]!;
        }
      }
      if (l > 0) {
        // dh = dz·W, then through σ: dz_prev = dh·h·(1 − h) with h = hPrev
        const dPrev = new Float64Array(batch * k);
        for (let i = 0; i < batch; i++) {
          for (let j = 0; j < n; j++) {
            const g = dz[i * n + j]!;
            const wRow = j * k;
            const row = i * k;
            for (let t = 0; t < k; t++) dPrev[row + t] = dPrev[row + t]! + g * layer.w[wRow + t]!;
          }
        }
        for (let i = 0; i < dPrev.length; i++) {
          const h = hPrev[i]!;
          dPrev[i] = dPrev[i]! * h * (1 - h);
        }
        dz = dPrev;
      }
      for (let i = 0; i < dw.length; i++) layer.w[i] = layer.w[i]! - lr * dw[i]!;
      for (let j = 0; j < n; j++) layer.b[j] = layer.b[j]! - lr * db[j]!;
    }
    return loss;
  };

  return { step, layers };
}

/**
 * The reference losses of W1's first steps.
 *
 * @param data - W1's inputs
 * @param steps - how many steps
 * @returns the loss of each step, before its update
 */
export function referenceW1Losses(data: W1Data, steps: number): number[] {
  const model = createReferenceW1(data);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(model.step());
  return losses;
}
