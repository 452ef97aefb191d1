/**
 * Softmax and cross-entropy over k classes, averaged over m examples, with integer labels t.
 *
 *   L = −(1/m) Σᵢ ln softmax(zᵢ)[tᵢ] = (1/m) Σᵢ (logsumexp(zᵢ) − zᵢ[tᵢ])
 *   ∂L/∂zᵢⱼ = (softmax(zᵢ)ⱼ − [j = tᵢ]) / m
 *
 * The one-hot matrix is built by comparing each label with 0 … k − 1.
 */
import { arange, crossEntropy, eq, softmax } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'softmax + cross-entropy: ∂L/∂z = (softmax(z) − onehot(t))/m',
  inputs: {
    z: { shape: ['m', 'k'] },
    t: { shape: ['m'], domain: { labels: 'k' } },
  },
  f: ({ z, t }) => crossEntropy(z, t),
  grad: ({ z, t }) => {
    const [m, k] = z.shape as [number, number];
    const oneHot = eq(t.reshape([m, 1]), arange(k));
    return { z: softmax(z, -1).sub(oneHot).div(m) };
  },
  edgeCases: [
    { name: 'saturated logits', values: { z: [[30, -30], [-30, 30]], t: [0, 0] } },
    { name: 'a tie', values: { z: [[1, 1, 1]], t: [2] } },
  ],
});
