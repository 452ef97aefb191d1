/**
 * W3 and W4 on the micrograd-style reference engine (`micrograd-ref.ts`).
 */
import type { W3Data, Workload } from '../harness.js';
import {
  RefValue,
  createRefMlp,
  refMlpForward,
  sumValues,
  takeRecordedOps,
} from '../micrograd-ref.js';

const ENGINE = 'micrograd-style JS';

/**
 * W3, micrograd's demo step: forward over all samples, SVM hinge loss plus L2,
 * zero-grad, backward, SGD.
 *
 * @param data - W3's inputs
 * @returns the workload
 */
export function micrograd3(data: W3Data): Workload {
  const mlp = createRefMlp(data.layers);
  const samples = data.y.length;
  let lastOps = 0;
  return {
    id: 'W3',
    engine: ENGINE,
    dtype: 'float64',
    setup: () => {},
    step: () => {
      takeRecordedOps();
      const losses: RefValue[] = [];
      for (let i = 0; i < samples; i++) {
        const input = [new RefValue(data.x[2 * i]!), new RefValue(data.x[2 * i + 1]!)];
        const score = refMlpForward(mlp, input)[0]!;
        // (1 + -yᵢ·scoreᵢ).relu(), with −yᵢ a plain number as in the demo
        losses.push(score.mul(-data.y[i]!).add(1).relu());
      }
      const dataLoss = sumValues(losses).mul(1 / samples);
      const regLoss = sumValues(mlp.parameters.map((p) => p.mul(p))).mul(data.alpha);
      const total = dataLoss.add(regLoss);
      for (const p of mlp.parameters) p.grad = 0;
      total.backward();
      for (const p of mlp.parameters) p.data -= data.lr * p.grad;
      lastOps = takeRecordedOps();
      return total.data;
    },
    opsPerStep: () => lastOps,
  };
}

/**
 * W4, the deep chain y = x; N times y = y·mul + add; backward to x.
 *
 * @param n - chain length
 * @param mul - the multiplier (1.0001)
 * @param add - the addend (0.0001)
 * @param x0 - the starting value
 * @returns the workload; its step returns dy/dx and throws RangeError when the recursion overflows
 */
export function micrograd4(n: number, mul: number, add: number, x0: number): Workload {
  return {
    id: `W4 N=${n}`,
    engine: ENGINE,
    dtype: 'float64',
    setup: () => {},
    step: () => {
      const x = new RefValue(x0);
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(mul).add(add);
      y.backward();
      return x.grad;
    },
  };
}
