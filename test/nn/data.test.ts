import { randn, tensor } from '@tapegrad/core';
import { accuracy, confusionMatrix, DataLoader, fitStandardizer, loadDataset, parseCsv, standardize, trainTestSplit } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

describe('parseCsv', () => {
  test('parses numbers, a header, and skips blank lines', () => {
    const t = parseCsv('a,b\n1,2\n\n3.5,-4e-1\n', { hasHeader: true });
    expect(t.header).toEqual(['a', 'b']);
    expect([t.rows, t.columns]).toEqual([2, 2]);
    expect(Array.from(t.data)).toEqual([1, 2, 3.5, -0.4]);
  });

  test('errors name the line', () => {
    expect(() => parseCsv('1,2\n3,4\n5\n', { source: 'x.csv' })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: parseCsv: line 3 of x.csv must have 2 columns, got 1]`);
    expect(() => parseCsv('h\n1,2\n3,abc\n', { hasHeader: true })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: parseCsv: line 3, column 2 must be a number, got 'abc']`);
    expect(() => parseCsv('1,,2\n')).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: parseCsv: line 1, column 2 must be a number, got '']`);
  });
});

describe('the shipped data sets', () => {
  test('breast cancer: 569 × 30, 212 malignant / 357 benign', async () => {
    const ds = await loadDataset('breastCancer');
    expect(ds.x.shape).toEqual([569, 30]);
    expect(ds.classes).toEqual(['malignant', 'benign']);
    expect(Array.from(ds.y.data).filter((v) => v === 0)).toHaveLength(212);
  });

  test('digits: 1797 × 64 pixels in 0..16, ten classes', async () => {
    const ds = await loadDataset('digits');
    expect(ds.x.shape).toEqual([1797, 64]);
    expect(ds.classes).toHaveLength(10);
    expect(Math.max(...ds.x.data)).toBe(16);
    await expect(loadDataset('iris' as 'digits')).rejects.toThrowErrorMatchingInlineSnapshot(`[ArgumentError: loadDataset: name must be 'breastCancer' or 'digits', got 'iris']`);
  });
});

describe('trainTestSplit', () => {
  test('stratified and seeded', async () => {
    const { x, y } = await loadDataset('breastCancer');
    const a = trainTestSplit(x, y, { testSize: 0.2, seed: 3 });
    const b = trainTestSplit(x, y, { testSize: 0.2, seed: 3 });
    const c = trainTestSplit(x, y, { testSize: 0.2, seed: 4 });
    expect(a.xTest.shape).toEqual([113, 30]); // round(0.2·212) + round(0.2·357)
    expect(a.xTrain.shape[0]! + a.xTest.shape[0]!).toBe(569);
    expect(Array.from(a.yTest.data).filter((v) => v === 0)).toHaveLength(Math.round(0.2 * 212));
    expect(a.xTest.toArray()).toEqual(b.xTest.toArray());
    expect(a.xTest.toArray()).not.toEqual(c.xTest.toArray());
    expect(() => trainTestSplit(x, y, { testSize: 1 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: trainTestSplit: testSize must be in (0, 1), got 1]`);
  });
});

describe('standardize', () => {
  test('fits on the training split only', () => {
    const xTrain = tensor([[1, 10], [3, 10], [5, 10]]);
    const { xTrain: s, xTest, standardizer } = standardize(xTrain, tensor([[7, 11]]));
    expect(Array.from(standardizer.mean)).toEqual([3, 10]);
    // a constant feature has std 1, so it maps to 0 rather than NaN
    expect(standardizer.std[1]).toBe(1);
    const col0 = [s.data[0]!, s.data[2]!, s.data[4]!];
    expect(col0.reduce((a, b) => a + b)).toBeCloseTo(0, 14);
    expect(xTest.data[0]).toBeCloseTo(4 / Math.sqrt(8 / 3), 14);
    expect(xTest.data[1]).toBe(1);
    expect(() => fitStandardizer(tensor([1, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: fitStandardizer: x must be [m, n] with m ≥ 1, got [2]]`);
  });
});

describe('DataLoader', () => {
  test('seeded shuffled minibatches covering every example once per pass', () => {
    const x = tensor(Array.from({ length: 10 }, (_, i) => [i, -i]));
    const y = tensor(Array.from({ length: 10 }, (_, i) => i));
    const loader = new DataLoader(x, y, { batchSize: 4, seed: 1 });
    const pass1 = [...loader];
    expect(loader.length).toBe(3);
    expect(pass1.map((b) => b.x.shape[0])).toEqual([4, 4, 2]);
    const seen = pass1.flatMap((b) => Array.from(b.y.data));
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pass1[0]!.x.data[0]).toBe(pass1[0]!.y.data[0]);
    const pass2 = [...loader].flatMap((b) => Array.from(b.y.data));
    expect(pass2).not.toEqual(seen);
    const again = [...new DataLoader(x, y, { batchSize: 4, seed: 1 })].flatMap((b) => Array.from(b.y.data));
    expect(again).toEqual(seen);
    expect([...new DataLoader(x, y, { batchSize: 4, shuffle: false, dropLast: true })].map((b) => Array.from(b.y.data))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(() => new DataLoader(randn([3, 2]), randn([4]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: DataLoader: x and y must have the same number of rows, got x [3, 2] and y [4]]`);
  });
});

describe('metrics', () => {
  test('accuracy and confusionMatrix', () => {
    expect(accuracy([1, 0, 2, 2], tensor([1, 1, 2, 0]))).toBe(0.5);
    expect(confusionMatrix([1, 0, 2, 2], [1, 1, 2, 0])).toEqual([[0, 0, 1], [1, 1, 0], [0, 0, 1]]);
    expect(confusionMatrix([0], [0], 2)).toEqual([[1, 0], [0, 0]]);
    expect(() => accuracy([1], [1, 2])).toThrowErrorMatchingInlineSnapshot(`[ShapeError: accuracy: predicted and labels must have the same length, got 1 and 2]`);
  });
});
