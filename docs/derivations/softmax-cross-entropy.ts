/**
 * Softmax and cross-entropy over k classes, averaged over m examples, with integer labels t.
 *
 *   L = −(1/m) Σᵢ ln softmax(zᵢ)[tᵢ] = (1/m) Σᵢ (logsumexp(zᵢ) − zᵢ[tᵢ])
 *   ∂L/∂zᵢⱼ = (softmax(zᵢ)ⱼ − [j = tᵢ]) / m
 */
import { crossEntropy, oneHot, softmax } from '@tapegrad/core';
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
    return { z: softmax(z, -1).sub(oneHot(t, k)).div(m) };
  },
  edgeCases: [
    { name: 'saturated logits', values: { z: [[30, -30], [-30, 30]], t: [0, 0] } },
    { name: 'a tie', values: { z: [[1, 1, 1]], t: [2] } },
  ],
});
