import { ArgumentError, type Shape } from '@tapegrad/core';

/** Prints a shape as `[2, 3]`, the format of every error message. @internal */
export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws an {@link @tapegrad/core!ArgumentError | ArgumentError} unless `x` is a finite number ≥ `min`. @internal */
export function checkNumber(op: string, name: string, x: unknown, min = 0, exclusive = false): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || (exclusive ? x <= min : x < min)) {
    const what = min === 0 ? (exclusive ? 'a positive number' : 'a non-negative number') : `a number ${exclusive ? '>' : '≥'} ${min}`;
    throw new ArgumentError(`${op}: ${name} must be ${what}, got ${String(x)}`);
  }
  return x;
}

/** Throws an {@link @tapegrad/core!ArgumentError | ArgumentError} unless `x` is an integer ≥ `min`. @internal */
export function checkInt(op: string, name: string, x: unknown, min = 1): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) {
    throw new ArgumentError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
  }
  return x;
}
