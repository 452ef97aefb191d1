// The late-bound table: before the package entry has wired the layers, methods throw a typed error that says what to import.
import { describe, expect, test } from 'vitest';
import { TapegradError } from '../../packages/core/src/base/errors.ts';
import { isBound } from '../../packages/core/src/graph/bindings.ts';
import { tensor } from '../../packages/core/src/graph/creation.ts';

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

  test('importing the package wires methods and backward', async () => {
    await import('@tapegrad/core');
    expect(isBound()).toBe(true);
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });
});
