/**
 * DELIBERATELY WRONG: a layer-norm backward missing its third term, −x̂·mean(g·x̂).
 *
 * It looks right on the usual casual test, `layerNorm(x).sum().backward()`: with u = ones (and γ = 1),
 * g·x̂ sums to Σ x̂ = 0 in every row, so the missing term is zero there. Any other upstream gradient shows it.
 */
import { layerNorm } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'layer normalisation, missing the x̂·mean(g·x̂) term (wrong on purpose)',
  inputs: {
    x: { shape: ['m', 'k'] },
    gamma: { shape: ['k'] },
    beta: { shape: ['k'] },
  },
  f: ({ x, gamma, beta }) => layerNorm(x, x.shape[1]!, gamma, beta, { eps: 1e-5 }),
  grad: ({ x, gamma }, u) => {
    const mu = x.mean(-1, true);
    const s = x.sub(mu).square().mean(-1, true).add(1e-5).sqrt();
    const g = u.mul(gamma);
    return { x: g.sub(g.mean(-1, true)).div(s) };
  },
});
