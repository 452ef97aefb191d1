/**
 * A tanh output with the mean squared error over all n = m·k elements.
 *
 *   L = (1/n) Σ (tanh(z) − t)²
 *   ∂L/∂z = (2/n)·(tanh(z) − t)·(1 − tanh²(z)),  ∂L/∂t = −(2/n)·(tanh(z) − t)
 */
import { mseLoss } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'tanh + mean squared error',
  inputs: {
    z: { shape: ['m', 'k'] },
    t: { shape: ['m', 'k'], domain: { min: -1, max: 1 } },
  },
  f: ({ z, t }) => mseLoss(z.tanh(), t),
  grad: ({ z, t }) => {
    const y = z.tanh();
    const r = y.sub(t).mul(2 / z.size);
    return { z: r.mul(y.square().neg().add(1)), t: r.neg() };
  },
});
