/**
 * The seed derivation: a sigmoid output and binary cross-entropy, averaged over m examples.
 *
 *   ŷ = σ(z),  L = −(1/m) Σ [t·ln ŷ + (1 − t)·ln(1 − ŷ)]
 *   ∂L/∂ŷ = (1/m)·(−t/ŷ + (1 − t)/(1 − ŷ)),  ∂ŷ/∂z = ŷ(1 − ŷ)
 *   ⇒ ∂L/∂z = (ŷ − t)/m
 *
 * z stays within ±30: past |z| ≈ 37, σ(z) rounds to exactly 1 in float64 and the loss written as
 * BCE(σ(z)) is no longer differentiable in floating point (use binaryCrossEntropyWithLogits there).
 */
import { binaryCrossEntropy } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'σ + binary cross-entropy: ∂L/∂z = (ŷ − t)/m',
  inputs: {
    z: { shape: ['m'], domain: { min: -30, max: 30 } },
    t: { shape: ['m'], domain: 'unit' },
  },
  f: ({ z, t }) => binaryCrossEntropy(z.sigmoid(), t),
  grad: ({ z, t }) => ({ z: z.sigmoid().sub(t).div(z.shape[0]!) }),
});
