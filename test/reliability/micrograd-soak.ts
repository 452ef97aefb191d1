/**
 * A micrograd-style training loop on the scalar lane, for the soak (scripts/soak-scalar.ts) and its short
 * version in the tests: an MLP of `Value`s (2 → 8 → 8 → 1, tanh) trained on two interleaved half-moons with
 * a hinge loss and SGD, and — as micrograd users do — an accuracy evaluated every epoch on the whole data
 * set, forward only and outside `noGrad`. Nothing in the loop asks for memory to be freed.
 */
import { Rng, value, type Value } from '@tapegrad/core';
import { scalarLane } from '../../packages/core/src/graph/scalar-tape.ts';

interface Neuron {
  readonly w: Value[];
  readonly b: Value;
}

export interface Soak {
  /** One epoch: `steps` SGD steps on minibatches, then the forward-only evaluation. Returns the accuracy. */
  epoch(): number;
  /** Milliseconds of the last epoch's training steps, per step. */
  readonly msPerStep: number;
  /** Ops recorded so far (rows pushed on the scalar lane, training and evaluation). */
  readonly ops: number;
  /** The scalar lane's current length in rows. */
  readonly rows: () => number;
}

export function makeSoak(seed = 1, examples = 40, steps = 4, batch = 8): Soak {
  const rng = new Rng(seed);
  const xs: [number, number][] = [];
  const ys: number[] = [];
  for (let i = 0; i < examples; i++) {
    const t = Math.PI * rng.uniform();
    const upper = i % 2 === 0;
    xs.push(upper ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)]);
    ys.push(upper ? 1 : -1);
  }
  const layer = (nin: number, nout: number): Neuron[] =>
    Array.from({ length: nout }, () => ({ w: Array.from({ length: nin }, () => value(rng.range(-1, 1))), b: value(0) }));
  const layers = [layer(2, 8), layer(8, 8), layer(8, 1)];
  const params = layers.flatMap((l) => l.flatMap((n) => [...n.w, n.b]));
  const forward = (x: readonly number[]): Value => {
    let h: (Value | number)[] = [...x];
    layers.forEach((l, k) => {
      h = l.map((n) => {
        let s = n.b;
        n.w.forEach((w, i) => (s = s.add(w.mul(h[i]!))));
        return k < layers.length - 1 ? s.tanh() : s;
      });
    });
    return h[0] as Value;
  };
  let ops = 0;
  let msPerStep = NaN;
  let at = 0;
  const counted = <T>(fn: () => T): T => {
    // Rows pushed = ops recorded (the lane only shrinks inside backward, counted separately).
    const before = scalarLane.length;
    const r = fn();
    ops += Math.max(0, scalarLane.length - before);
    return r;
  };
  return {
    epoch(): number {
      const started = performance.now();
      for (let s = 0; s < steps; s++) {
        const loss = counted(() => {
          let total = value(0, false);
          for (let j = 0; j < batch; j++) {
            const i = at++ % examples;
            total = total.add(forward(xs[i]!).mul(-ys[i]!).add(1).relu());
          }
          return total.mul(1 / batch);
        });
        for (const p of params) p.grad = 0;
        loss.backward();
        for (const p of params) p.data -= 0.05 * p.grad;
      }
      msPerStep = (performance.now() - started) / steps;
      // The evaluation micrograd users write: forward only, no backward, no noGrad.
      let correct = 0;
      counted(() => {
        for (let i = 0; i < examples; i++) if (forward(xs[i]!).data > 0 === ys[i]! > 0) correct++;
      });
      return correct / examples;
    },
    get msPerStep(): number {
      return msPerStep;
    },
    get ops(): number {
      return ops;
    },
    rows: () => scalarLane.length,
  };
}
