/**
 * The Huber loss with δ = 1, averaged over n residuals r = ŷ − t.
 *
 *   ℓ(r) = r²/2 for |r| ≤ δ,  δ·(|r| − δ/2) otherwise
 *   ℓ′(r) = r for |r| ≤ δ,  δ·sign(r) otherwise  =  clamp(r, −δ, δ)
 *   ⇒ ∂L/∂ŷ = clamp(r, −δ, δ)/n,  ∂L/∂t = −clamp(r, −δ, δ)/n
 *
 * ℓ′ is continuous at |r| = δ (both pieces give δ·sign r), so the loss is differentiable everywhere.
 */
import { clamp, le, where } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

const delta = 1;

export default defineDerivation({
  name: 'Huber loss (δ = 1)',
  inputs: { yhat: { shape: ['n'] }, t: { shape: ['n'] } },
  f: ({ yhat, t }) => {
    const r = yhat.sub(t);
    return where(le(r.abs(), delta), r.square().mul(0.5), r.abs().sub(delta / 2).mul(delta)).mean();
  },
  grad: ({ yhat, t }) => {
    const g = clamp(yhat.sub(t), -delta, delta).div(yhat.size);
    return { yhat: g, t: g.neg() };
  },
});
