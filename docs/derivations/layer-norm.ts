/**
 * Layer normalisation over the last axis (k features), with a gain γ and a bias β: the hand derivation
 * against the engine's own layerNorm op.
 *
 *   μ = mean(x),  s = √(mean((x − μ)²) + ε),  x̂ = (x − μ)/s,  y = γ·x̂ + β
 *   with g = u·γ (the upstream gradient through the gain), the classic three terms:
 *   ∂⟨u, y⟩/∂x = (1/s)·(g − mean(g) − x̂·mean(g·x̂))
 *   ∂⟨u, y⟩/∂γ = Σᵢ u·x̂,  ∂⟨u, y⟩/∂β = Σᵢ u
 */
import { layerNorm } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'layer normalisation (three-term backward)',
  inputs: {
    x: { shape: ['m', 'k'] },
    gamma: { shape: ['k'] },
    beta: { shape: ['k'] },
  },
  f: ({ x, gamma, beta }) => layerNorm(x, x.shape[1]!, gamma, beta, { eps: 1e-5 }),
  grad: ({ x, gamma }, u) => {
    const mu = x.mean(-1, true);
    const s = x.sub(mu).square().mean(-1, true).add(1e-5).sqrt();
    const xhat = x.sub(mu).div(s);
    const g = u.mul(gamma);
    return {
      x: g.sub(g.mean(-1, true)).sub(xhat.mul(g.mul(xhat).mean(-1, true))).div(s),
      gamma: u.mul(xhat).sum(0),
      beta: u.sum(0),
    };
  },
});
