/**
 * The seed network's backward pass, by hand: a tanh hidden layer and a sigmoid output with binary
 * cross-entropy, examples in columns (X is [d, m]).
 *
 *   Z₁ = W₁·X + b₁,  A₁ = tanh(Z₁),  Z₂ = W₂·A₁ + b₂,  Ŷ = σ(Z₂),  L = (1/m) Σ BCE(Ŷ, T)
 *   dZ₂ = Ŷ − T                       (σ + BCE, before the 1/m)
 *   dW₂ = dZ₂·A₁ᵀ/m,  db₂ = Σⱼ dZ₂/m
 *   dA₁ = W₂ᵀ·dZ₂                     (a hidden layer receives Wᵀ·dZ)
 *   dZ₁ = dA₁ ⊙ (1 − A₁²)             (tanh′ = 1 − tanh²)
 *   dW₁ = dZ₁·Xᵀ/m,  db₁ = Σⱼ dZ₁/m,  dX = W₁ᵀ·dZ₁/m
 */
import { binaryCrossEntropy, type Tensor } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

const weights = { min: -3, max: 3 };

export default defineDerivation({
  name: 'two-layer network: dW = dZ·Xᵀ/m, hidden dA = Wᵀ·dZ',
  inputs: {
    X: { shape: ['d', 'm'], domain: weights },
    W1: { shape: ['h', 'd'], domain: weights },
    b1: { shape: ['h', 1], domain: weights },
    W2: { shape: [1, 'h'], domain: weights },
    b2: { shape: [1, 1], domain: weights },
    T: { shape: [1, 'm'], domain: { labels: 2 } },
  },
  f: ({ X, W1, b1, W2, b2, T }) => {
    const A1 = W1.matmul(X).add(b1).tanh();
    return binaryCrossEntropy(W2.matmul(A1).add(b2).sigmoid(), T);
  },
  grad: ({ X, W1, b1, W2, b2, T }) => {
    const m = X.shape[1]!;
    const A1 = W1.matmul(X).add(b1).tanh();
    const Yhat = W2.matmul(A1).add(b2).sigmoid();
    const dZ2 = Yhat.sub(T);
    const dA1 = W2.transpose().matmul(dZ2);
    const dZ1 = dA1.mul(A1.square().neg().add(1));
    const rowSums = (dZ: Tensor): Tensor => dZ.sum(1, true).div(m);
    return {
      W2: dZ2.matmul(A1.transpose()).div(m),
      b2: rowSums(dZ2),
      W1: dZ1.matmul(X.transpose()).div(m),
      b1: rowSums(dZ1),
      X: W1.transpose().matmul(dZ1).div(m),
    };
  },
});
