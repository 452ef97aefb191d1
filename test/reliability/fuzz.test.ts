import { tensor } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';
import { checkProgram, checkVariants, decode, fuzz, printProgram } from './fuzz-program.ts';

describe('engine fuzzer', () => {
  test('random programs (fixed seed) match finite differences, and raw rules match createGraph rules', () => {
    const started = performance.now();
    const result = fuzz(20240611, 400);
    const ms = performance.now() - started;
    if (result.failed) throw new Error(result.report);
    expect(result.checked).toBeGreaterThan(360);
    console.log(`fuzz: ${result.report} in ${(ms / 1000).toFixed(1)} s`);
  });

  test('a decoded program prints as TypeScript with its inputs, steps and the gradcheck call', () => {
    const p = decode({ seed: 1, base: [2, 3], choices: [1, 0, 0, 0, 0, 1, 1, 2, 0, 6, 0, 0] });
    const code = printProgram(p);
    expect(code).toContain('const x0 = tensor(');
    expect(code).toContain('const f = (x0: Tensor');
    expect(code).toContain('gradcheck(f, [x0');
    expect(checkProgram(p).ok).toBe(true);
  });

  test('the checker catches a wrong gradient (a program whose rule is broken)', () => {
    const p = decode({ seed: 3, base: [3], choices: [0, 0, 0, 0, 6] });
    const broken = {
      ...p,
      steps: [
        ...p.steps,
        // exp whose "gradient" is computed on a detached copy: the engine sees a constant, finite differences do not.
        { args: [p.inputs.length + p.steps.length - 1], code: ([x]: readonly string[]) => `leak(${x})`, run: ([x]: readonly ReturnType<typeof tensor>[]) => x!.add(tensor(Array.from(x!.data), { shape: x!.shape })) },
      ],
    };
    expect(checkProgram(broken).ok).toBe(false);
  });

  test('each program also runs with in-place hooks, tied inputs and async callbacks (a tied program shown)', () => {
    // Two inputs of the base shape: the tied variant passes one tensor for both.
    const p = decode({ seed: 5, base: [2], choices: [1, 0, 0, 0, 0, 1, 1, 2, 0, 6, 0, 0] });
    expect(p.inputs.length).toBeGreaterThan(1);
    expect(checkVariants(p)).toEqual({ ok: true, message: 'variants agree' });
  });
});
