import { DEFAULT_EPS, noGrad, value, type Value } from '@tapegrad/core';

/** One sigmoid neuron with binary cross-entropy, on scalars: the seed derivation at its smallest. */
export interface NeuronReport {
  readonly z: number;
  readonly yhat: number;
  readonly t: number;
  readonly loss: number;
  readonly dLdz: number;
  readonly yhatMinusT: number;
  readonly numeric: number;
}

/** L(z) = −[t·ln σ(z) + (1 − t)·ln(1 − σ(z))], written with generic ops only. */
export function neuronLoss(w: Value, b: Value, x: number, t: number): { z: Value; yhat: Value; loss: Value } {
  const z = w.mul(x).add(b);
  const yhat = z.sigmoid();
  return { z, yhat, loss: bce(yhat, t) };
}

function bce(yhat: Value, t: number): Value {
  return yhat.log().mul(t).add(yhat.neg().add(1).log().mul(1 - t)).neg();
}

/** Runs the neuron at one point and compares the tape's ∂L/∂z with ŷ − t and with finite differences. */
export function seedNeuron(w0: number, b0: number, x: number, t: number): NeuronReport {
  const w = value(w0);
  const b = value(b0);
  const { z, yhat, loss } = neuronLoss(w, b, x, t);
  loss.backward();
  // ∂L/∂z by central differences on z itself, with nothing recorded.
  const lossAt = (zz: number): number => noGrad(() => bce(value(zz).sigmoid(), t).data);
  const numeric = (lossAt(z.data + DEFAULT_EPS) - lossAt(z.data - DEFAULT_EPS)) / (2 * DEFAULT_EPS);
  return { z: z.data, yhat: yhat.data, t, loss: loss.data, dLdz: z.grad, yhatMinusT: yhat.data - t, numeric };
}
