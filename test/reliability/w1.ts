/**
 * W1-small of the benchmark suite (shared/bench/README.md), written with core ops only: 30 → 64 → 32 → 1,
 * sigmoid on every layer, mean binary cross-entropy, batch 512, plain SGD (lr 0.1) through in-place
 * updates. Used by the soak script, the soak test and the determinism test.
 */
import { Rng, addScaledInPlace, binaryCrossEntropy, noGrad, tensor, type Tensor } from '@tapegrad/core';

export interface W1 {
  readonly params: readonly Tensor[];
  /** One training step (forward, backward, SGD); returns the loss before the update. */
  step(): number;
}

/** Builds the network and its fixed data set from one seed. */
export function makeW1(seed: number, sizes: readonly number[] = [30, 64, 32, 1], batch = 512, lr = 0.1): W1 {
  const rng = new Rng(seed);
  const layers = sizes.slice(1).map((out, i) => {
    const inp = sizes[i]!;
    const bound = 1 / Math.sqrt(inp);
    const w = tensor(Array.from({ length: out * inp }, () => rng.range(-bound, bound)), { shape: [out, inp], requiresGrad: true });
    const b = tensor(Array.from({ length: out }, () => rng.range(-bound, bound)), { shape: [out], requiresGrad: true });
    return { w, b };
  });
  const n = sizes[0]!;
  const xs = Array.from({ length: batch * n }, () => rng.normal());
  const rule = Array.from({ length: n }, () => rng.normal());
  // A fixed random linear rule plus an interaction term, so the loss goes down.
  const ts = Array.from({ length: batch }, (_, i) => {
    let s = 0.5 * xs[i * n]! * xs[i * n + 1]!;
    for (let j = 0; j < n; j++) s += rule[j]! * xs[i * n + j]!;
    return s > 0 ? 1 : 0;
  });
  const x = tensor(xs, { shape: [batch, n] });
  const t = tensor(ts, { shape: [batch, 1] });
  const params = layers.flatMap(({ w, b }) => [w, b]);
  return {
    params,
    step(): number {
      let h = x;
      for (const { w, b } of layers) h = h.matmul(w, { transposeB: true }).add(b).sigmoid();
      const loss = binaryCrossEntropy(h, t);
      loss.backward();
      noGrad(() => {
        for (const p of params) {
          addScaledInPlace(p, p.grad!, -lr);
          p.grad = null;
        }
      });
      return loss.item();
    },
  };
}
