/**
 * The plain-TypeScript float64 baselines: W1 by `reference-w1.ts` and W2 by
 * a cache-friendly i-k-j triple loop. They show what no engine at all costs.
 */
import type { W1Data, W2Data, Workload } from '../harness.js';
import { createReferenceW1 } from '../reference-w1.js';

const ENGINE = 'plain TS float64';

/**
 * W1 by the hand-written reference step.
 *
 * @param data - W1's inputs
 * @returns the workload
 */
export function referenceW1(data: W1Data): Workload {
  const model = createReferenceW1(data);
  return {
    id: `W1 ${data.name}`,
    engine: ENGINE,
    dtype: 'float64',
    setup: () => {},
    step: () => model.step(),
  };
}

/**
 * C = A·B for row-major `[n, n]` float64 matrices (i-k-j order, so the inner
 * loop streams rows of B and C).
 *
 * @param a - left factor
 * @param b - right factor
 * @param n - size
 * @returns the product
 */
export function matmulReference(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k]!;
      const bRow = k * n;
      for (let j = 0; j < n; j++) c[row + j] = c[row + j]! + aik * b[bRow + j]!;
    }
  }
  return c;
}

/**
 * W2 by `matmulReference`.
 *
 * @param data - W2's inputs
 * @returns the workload; `step` returns C[0, 0]
 */
export function referenceW2(data: W2Data): Workload {
  let last: Float64Array = new Float64Array(0);
  return {
    id: `W2 n=${data.n}`,
    engine: ENGINE,
    dtype: 'float64',
    setup: () => {},
    step: () => {
      last = matmulReference(data.a, data.b, data.n);
      return last[0]!;
    },
    output: () => last,
  };
}
