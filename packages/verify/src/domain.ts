/**
 * Sampled values. An element is drawn as a domain-free "raw" value (a kind and a parameter) and mapped into
 * each input's domain when the case is built, so fast-check shrinks one representation for every domain:
 * towards the `simple` kind (small halves such as 0, 0.5, 1) and, within it, towards 0.
 */
import { Tensor } from '@tapegrad/core';
import fc from 'fast-check';
import type { Domain } from './derivation.ts';

/** How a raw element was drawn. */
export type RawKind = 'simple' | 'ordinary' | 'saturated' | 'tiny' | 'huge';

/** A domain-free element: `n` for simple values, `t` in [−1, 1] or [0, 1] and a sign for the others. */
export interface Raw {
  readonly kind: RawKind;
  readonly n: number;
  readonly t: number;
  readonly sign: 1 | -1;
}

/** Rounded to four decimals, so shrinking ends at short values rather than at subnormal numbers. */
const round4 = (t: number): number => Math.round(t * 1e4) / 1e4 || 0;
const simple = fc.integer({ min: -4, max: 4 }).map((n): Raw => ({ kind: 'simple', n, t: 0, sign: 1 }));
const ordinary = fc.double({ min: -1, max: 1, noNaN: true }).map((t): Raw => ({ kind: 'ordinary', n: 0, t: round4(t), sign: 1 }));
const extreme = (kind: RawKind): fc.Arbitrary<Raw> =>
  fc.tuple(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })).map(([isNegative, t]): Raw => ({ kind, n: 0, t: round4(t), sign: isNegative ? -1 : 1 }));

/** One element: mostly simple and ordinary values, some near saturation, tiny or huge; shrinks towards simple. */
export const rawElement: fc.Arbitrary<Raw> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: simple, weight: 3 },
  { arbitrary: ordinary, weight: 5 },
  { arbitrary: extreme('saturated'), weight: 1 },
  { arbitrary: extreme('tiny'), weight: 1 },
  { arbitrary: extreme('huge'), weight: 1 },
);

/** An element of the upstream gradient: small non-zero integers (shrinking towards 1) or ordinary values. */
export const upstreamElement: fc.Arbitrary<number> = fc.oneof(
  { withCrossShrink: true },
  { arbitrary: fc.integer({ min: -2, max: 2 }).map((n) => (n >= 0 ? n + 1 : n)), weight: 1 },
  { arbitrary: fc.double({ min: -2, max: 2, noNaN: true }).map((v) => round4(v) || 1), weight: 1 },
);

const real = (r: Raw): number => {
  switch (r.kind) {
    case 'simple': return r.n / 2;
    case 'ordinary': return 3 * r.t;
    case 'saturated': return r.sign * (25 + 10 * r.t);
    case 'tiny': return r.sign * 10 ** (-8 + 4 * r.t);
    case 'huge': return r.sign * 10 ** (2 + 2 * r.t);
  }
};

const positive = (r: Raw): number => {
  switch (r.kind) {
    case 'simple': return (Math.abs(r.n) + 1) / 2;
    case 'ordinary': return Math.exp(2 * r.t);
    case 'saturated': return 25 + 10 * r.t;
    case 'tiny': return 10 ** (-8 + 4 * r.t);
    case 'huge': return 10 ** (2 + 2 * r.t);
  }
};

const UNIT_SIMPLE = [0.5, 0.25, 0.75, 0.125, 0.875];
const unit = (r: Raw): number => {
  switch (r.kind) {
    case 'simple': return UNIT_SIMPLE[Math.abs(r.n)]!;
    case 'ordinary': return 0.5 + 0.45 * r.t;
    case 'saturated':
    case 'huge': return r.sign > 0 ? 1 - 10 ** (-6 + 3 * r.t) : 10 ** (-6 + 3 * r.t);
    case 'tiny': return 10 ** (-8 + 4 * r.t);
  }
};

/** The label count of a labels domain, given the dimension sizes. */
export function labelCount(domain: Domain | undefined, dims: Readonly<Record<string, number>>): number | undefined {
  if (typeof domain !== 'object' || !('labels' in domain)) return undefined;
  return typeof domain.labels === 'number' ? domain.labels : dims[domain.labels]!;
}

/** Maps a raw element into a domain (probability rows are normalised afterwards, by {@link buildInput}). */
export function toDomain(domain: Domain | undefined, r: Raw, labels: number | undefined): number {
  if (labels !== undefined) return r.kind === 'simple' ? Math.abs(r.n) % labels : Math.floor(Math.abs(real(r)) * 7) % labels;
  if (domain === undefined || domain === 'real') return real(r);
  if (domain === 'positive' || domain === 'probability') return positive(r);
  if (domain === 'unit') return unit(r);
  if (typeof domain === 'object' && !('labels' in domain)) {
    const { min, max } = domain;
    if (min !== undefined && max !== undefined) return min + (max - min) * unit(r);
    if (min !== undefined) return min + positive(r);
    if (max !== undefined) return max - positive(r);
  }
  return real(r);
}

/** How far x may move before it leaves its domain (Infinity for the reals), for the finite-difference step. */
export function roomInDomain(domain: Domain | undefined, x: number): number {
  if (domain === undefined || domain === 'real' || (typeof domain === 'object' && 'labels' in domain)) return Infinity;
  if (domain === 'positive' || domain === 'probability') return x;
  if (domain === 'unit') return Math.min(x, 1 - x);
  const lo = domain.min === undefined ? Infinity : x - domain.min;
  const hi = domain.max === undefined ? Infinity : domain.max - x;
  return Math.min(lo, hi);
}

/**
 * An input's float64 tensor: its elements are taken from the pool in turn, starting at `offset` (so a short
 * pool repeats values and makes ties), mapped into the domain; probability rows are normalised.
 */
export function buildInput(shape: readonly number[], domain: Domain | undefined, pool: readonly Raw[], offset: number, labels: number | undefined): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float64Array.from({ length: size }, (_, i) => toDomain(domain, pool[(offset + i) % pool.length]!, labels));
  if (domain === 'probability') {
    const row = shape.length === 0 ? 1 : shape[shape.length - 1]!;
    for (let s = 0; s < size; s += row) {
      let total = 0;
      for (let i = s; i < s + row; i++) total += data[i]!;
      for (let i = s; i < s + row; i++) data[i] = data[i]! / total;
    }
  }
  return new Tensor(data, shape, 'float64');
}
