// The late-bound table: before the package entry has wired the layers, methods throw a typed error that says what to import.
import { describe, expect, test } from 'vitest';
import { TapegradError } from '../../packages/core/src/base/errors.ts';
import { isBound } from '../../packages/core/src/graph/bindings.ts';
import { tensor } from '../../packages/core/src/graph/creation.ts';
import { value } from '../../packages/core/src/graph/value.ts';

// This file must not import '@tapegrad/core' statically: the first tests run before the wiring.
describe('wiring', () => {
  test('an unwired tensor method throws a TapegradError naming the package to import', () => {
    expect(isBound()).toBe(false);
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => x.add(1)).toThrow(TapegradError);
    expect(() => x.add(1)).toThrow("add: tensor and value methods are wired by '@tapegrad/core'");
    expect(() => x.backward(tensor([1, 1]))).toThrow(TapegradError);
    expect(() => x.backward(tensor([1, 1]))).toThrow(/^backward: .*import the package/);
  });

  test('an unwired Value method throws the same TapegradError', () => {
    expect(isBound()).toBe(false);
    expect(() => value(2).mul(3)).toThrow(TapegradError);
    expect(() => value(2).tanh()).toThrow("tanh: tensor and value methods are wired by '@tapegrad/core'");
  });

  test('importing the package wires methods and backward', async () => {
    await import('@tapegrad/core');
    expect(isBound()).toBe(true);
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
    const v = value(3);
    v.mul(v).tanh().backward();
    expect(v.grad).toBeCloseTo(6 * (1 - Math.tanh(9) ** 2), 15);
  });
});
