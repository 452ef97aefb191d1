// The bias paths of the elementwise loops: a row added to every row of a matrix (four rows per pass)
// and the column sums of a gradient (four rows per pass, each column still summed in row order). Both
// must give exactly what one element at a time gives, for any number of rows.
import { add, Rng, sum, tensor } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { addLoop, planBinary, sumBackLoop } from '../../packages/core/src/kernels/elementwise.ts';

const ROWS = [0, 1, 3, 4, 5, 8, 11];

function matrix(ctor: Float64ArrayConstructor | Float32ArrayConstructor, n: number, seed: number): Float64Array | Float32Array {
  const rng = new Rng(seed);
  // Magnitudes spread over many binades, so a different summation order would show in the last bits.
  return ctor.from({ length: n }, () => rng.normal() * 10 ** Math.floor(rng.normal() * 4));
}

describe.each([Float64Array, Float32Array])('%o', (ctor) => {
  test.each(ROWS)('a row added to %i rows, from either side, equals the sums one by one', (rows) => {
    const cols = 7;
    const x = matrix(ctor, rows * cols, rows + 1);
    const row = matrix(ctor, cols, 99);
    const expected = ctor.from(x, (v, k) => v + row[k % cols]!);
    for (const [a, b, aShape, bShape] of [[x, row, [rows, cols], [cols]], [row, x, [cols], [rows, cols]]] as const) {
      const p = planBinary([rows, cols], aShape, bShape)!;
      const out = new ctor(rows * cols);
      addLoop(a, b, out, p);
      expect(Array.from(out)).toEqual(Array.from(expected));
    }
  });

  test.each(ROWS)('column sums of %i rows equal the sums in row order, bit for bit', (rows) => {
    const cols = 5;
    const x = matrix(ctor, rows * cols, rows + 2);
    const expected = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) expected[j] = expected[j]! + x[r * cols + j]!;
    const acc = new Float64Array(cols);
    sumBackLoop(x, acc, planBinary([rows, cols], [1, cols], [])!);
    expect(Array.from(acc)).toEqual(Array.from(expected));
  });
});

test('the bias gradient of a broadcast add is the column sum', () => {
  const x = tensor(Array.from({ length: 6 * 3 }, (_, i) => i * 0.25 - 2), { shape: [6, 3] });
  const b = tensor([0.5, -1, 2], { requiresGrad: true });
  const dy = tensor(Array.from({ length: 18 }, (_, i) => (i % 5) - 1.5), { shape: [6, 3] });
  add(x, b).backward(dy);
  expect(Array.from(b.grad!.data)).toEqual(Array.from(sum(dy, 0).data));
});
