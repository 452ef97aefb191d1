/**
 * Log-sum-exp along the last axis: a vector output, so the hand gradient uses the upstream gradient u.
 *
 *   yᵢ = ln Σⱼ exp(xᵢⱼ),  ∂yᵢ/∂xᵢⱼ = exp(xᵢⱼ − yᵢ) = softmax(xᵢ)ⱼ
 *   ⇒ ∂⟨u, y⟩/∂xᵢⱼ = uᵢ·softmax(xᵢ)ⱼ
 */
import { logsumexp, softmax } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'log-sum-exp: ∂y/∂x = softmax(x)',
  inputs: { x: { shape: ['m', 'k'] } },
  f: ({ x }) => logsumexp(x, -1),
  grad: ({ x }, u) => ({ x: softmax(x, -1).mul(u.reshape([x.shape[0]!, 1])) }),
});
