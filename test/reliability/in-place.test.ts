import {
  DTypeError, GradError, ShapeError, addInPlace, addScaledInPlace, copyInPlace, detectAnomaly, divInPlace, fillInPlace,
  mulInPlace, noGrad, subInPlace, tapeLength, tensor, zeroInPlace, type Tensor,
} from '@tapegrad/core';
import { Adam, AdamW, SGD } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

describe('in-place ops', () => {
  test('each op computes its result, broadcasting the operand, and bumps the version', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(addInPlace(a, tensor([1, 0, -1])).toArray()).toEqual([[2, 2, 2], [5, 5, 5]]);
    expect(a.version).toBe(1);
    expect(subInPlace(a, 1).toArray()).toEqual([[1, 1, 1], [4, 4, 4]]);
    expect(mulInPlace(a, tensor([[2], [0.5]])).toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
    expect(divInPlace(a, 2).toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect(addScaledInPlace(a, tensor([1, 2, 3]), -0.5).toArray()).toEqual([[0.5, 0, -0.5], [0.5, 0, -0.5]]);
    expect(copyInPlace(a, tensor([7, 8, 9])).toArray()).toEqual([[7, 8, 9], [7, 8, 9]]);
    expect(fillInPlace(a, 3).toArray()).toEqual([[3, 3, 3], [3, 3, 3]]);
    expect(zeroInPlace(a).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(a.version).toBe(8);
  });

  test('float32 targets round like float32', () => {
    const a = tensor([1], { dtype: 'float32' });
    addInPlace(a, 0.1);
    expect(a.data[0]).toBe(Math.fround(1.1));
  });

  test('a leaf that requires grad is refused while recording, as PyTorch does, and allowed inside noGrad', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => addInPlace(w, 1)).toThrowErrorMatchingInlineSnapshot(`[GradError: addInPlace: a must not require grad while recording, got a leaf of shape [2] that requires grad; in-place ops are not recorded, so wrap the update in noGrad(() => …) or use the out-of-place op]`);
    expect(w.toArray()).toEqual([1, 2]);
    expect(w.version).toBe(0);
    noGrad(() => addInPlace(w, 1));
    expect(w.toArray()).toEqual([2, 3]);
    expect(w.version).toBe(1);
  });

  test('a recorded output and an operand that requires grad are refused too (the change would not be recorded)', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.exp();
    expect(() => mulInPlace(y, 2)).toThrowErrorMatchingInlineSnapshot(`[GradError: mulInPlace: a must not require grad while recording, got the output of 'exp' (shape [2]), recorded on the tape; in-place ops are not recorded, so wrap the update in noGrad(() => …) or use the out-of-place op]`);
    expect(() => addInPlace(tensor([0, 0]), w)).toThrowErrorMatchingInlineSnapshot(`[GradError: addInPlace: b must not require grad while recording, got b of shape [2] that requires grad; in-place ops are not recorded, so its gradient would be lost (use the out-of-place op, or noGrad)]`);
  });

  test('bad operands throw before anything changes', () => {
    const a = tensor([[1, 2, 3]]);
    expect(() => addInPlace(a, tensor([1, 2]))).toThrow(ShapeError);
    expect(() => addInPlace(a, tensor([[1], [2]]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: addInPlace: b must broadcast to a's shape [1, 3], got b [2, 1]]`);
    expect(() => copyInPlace(a, tensor([1, 2, 3], { dtype: 'float32' }))).toThrow(DTypeError);
    expect(a.toArray()).toEqual([[1, 2, 3]]);
    expect(a.version).toBe(0);
  });
});

describe('version counters: backward refuses tensors changed since they were saved', () => {
  test('y = exp(x) reuses y: changing y in place makes backward throw naming y, its shape and the op', () => {
    const x = tensor([[0.5, 1, 2]], { requiresGrad: true });
    const y = x.exp();
    noGrad(() => addInPlace(y, 1));
    expect(() => y.backward(tensor([[1, 1, 1]]))).toThrowErrorMatchingInlineSnapshot(`[GradError: backward of 'exp': its output y (shape [1, 3], float64) was modified by an inplace operation after 'exp' was recorded: it is at version 1, expected version 0; the gradient needs the old values, so clone it before changing it in place, or change it only after backward]`);
    expect(x.grad).toBeNull();
  });

  test('a consumer recorded before the change refuses it too (conservatively: every recorded input is checked)', () => {
    const x = tensor([[0.5, 1, 2]], { requiresGrad: true });
    const y = x.exp();
    const loss = y.sum();
    noGrad(() => addInPlace(y, 1));
    expect(() => loss.backward()).toThrowErrorMatchingInlineSnapshot(`[GradError: backward of 'sum': input x (the output of 'exp' of shape [1, 3], float64) was modified by an inplace operation after 'sum' was recorded: it is at version 1, expected version 0; the gradient needs the old values, so clone it before changing it in place, or change it only after backward]`);
    expect(x.grad).toBeNull();
  });

  test('y = a·b saves a and b: changing either makes backward throw naming it', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6]);
    const loss = a.mul(b).sum();
    mulInPlace(b, 2); // b does not require grad, so this is allowed while recording
    expect(() => loss.backward()).toThrowErrorMatchingInlineSnapshot(`[GradError: backward of 'mul': input b (a leaf of shape [3], float64) was modified by an inplace operation after 'mul' was recorded: it is at version 1, expected version 0; the gradient needs the old values, so clone it before changing it in place, or change it only after backward]`);
    const a2 = tensor([1, 2, 3], { requiresGrad: true });
    const loss2 = a2.mul(tensor([4, 5, 6])).sum();
    noGrad(() => subInPlace(a2, 1)); // an optimizer step between forward and backward
    expect(() => loss2.backward()).toThrow(/backward of 'mul': input a \(a leaf of shape \[3\], float64\) was modified by an inplace operation/);
    expect(a2.grad).toBeNull();
  });

  test('in anomaly mode the error also says where the op was recorded', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = detectAnomaly(() => x.sigmoid());
    noGrad(() => fillInPlace(y, 0));
    expect(() => y.sum().backward()).toThrow(/backward of 'sigmoid': its output y .*'sigmoid' was recorded at .*in-place\.test\.ts:\d+/);
  });

  test('a change before the op is recorded is fine, and so is a change after backward', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    noGrad(() => addInPlace(w, 1));
    const loss = w.mul(w).sum();
    loss.backward();
    expect(w.grad!.toArray()).toEqual([4, 6, 8]);
    noGrad(() => addScaledInPlace(w, w.grad!, -0.5));
    expect(w.toArray()).toEqual([0, 0, 0]);
    expect(w.version).toBe(2);
  });

  test('a hand-written SGD loop bumps every parameter version once per step and leaves the tape empty', () => {
    const w = tensor([[0.1, -0.2], [0.3, 0.4]], { requiresGrad: true });
    const b = tensor([0, 0], { requiresGrad: true });
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const start = tapeLength();
    for (let step = 1; step <= 3; step++) {
      const loss = x.matmul(w).add(b).tanh().square().mean();
      loss.backward();
      noGrad(() => {
        for (const p of [w, b]) {
          addScaledInPlace(p, p.grad!, -0.1);
          p.grad = null;
        }
      });
      expect(w.version).toBe(step);
      expect(b.version).toBe(step);
      expect(tapeLength()).toBe(start);
    }
  });
});

describe('nn optimizers bump versions', () => {
  test.each([
    ['SGD', (p: Tensor[]) => new SGD(p, { lr: 0.1 })],
    ['SGD with momentum', (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (p: Tensor[]) => new Adam(p, { lr: 0.01 })],
    ['AdamW', (p: Tensor[]) => new AdamW(p, { lr: 0.01 })],
  ] as const)('%s: every step bumps each updated parameter once, and a graph saved before the step refuses backward', (_name, make) => {
    const w = tensor([[0.5, -0.3], [0.2, 0.8]], { requiresGrad: true });
    const b = tensor([0.1, -0.1], { requiresGrad: true });
    const x = tensor([[1, 2], [3, 4]]);
    const opt = make([w, b]);
    for (let step = 1; step <= 2; step++) {
      opt.zeroGrad();
      x.matmul(w).add(b).tanh().sum().backward();
      opt.step();
      expect([w.version, b.version]).toEqual([step, step]);
    }
    // A graph recorded before a step is stale after it.
    const loss = x.matmul(w).add(b).tanh().sum();
    loss.backward(undefined, { retainGraph: true });
    opt.step();
    expect(() => loss.backward()).toThrow(/backward of '(matmul|add)': input b \(a leaf of shape \[2(, 2)?\], float64\) was modified by an inplace operation/);
  });
});

describe('a detached view shares the version counter', () => {
  test('an in-place change through detach() is seen by backward', () => {
    const x = tensor([0.5, 1.5], { requiresGrad: true });
    const y = x.exp();
    const view = y.detach();
    noGrad(() => mulInPlace(view, 2));
    expect(y.version).toBe(1);
    expect(() => y.sum().backward()).toThrow(/backward of 'exp': its output y .*modified/);
  });
});
