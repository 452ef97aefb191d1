import { ArgumentError, type DType, type NestedArray, type Tensor } from '@tapegrad/core';

/**
 * Where an input's values are drawn from.
 *
 * - `'real'` (default): any real number, from simple values and ordinary ones to saturation (|x| ≈ 30),
 *   tiny (1e-8) and huge (1e4) magnitudes;
 * - `'positive'`: x > 0;
 * - `'unit'`: the open interval 0 < x < 1;
 * - `'probability'`: positive and summing to 1 along the last axis;
 * - `{ labels: 'k' }`: integer class labels `0 … k − 1` (a dimension name or a number); never differentiated;
 * - `{ min, max }`: the open interval (either end may be left out).
 * @category Verify
 */
export type Domain =
  | 'real'
  | 'positive'
  | 'unit'
  | 'probability'
  | {
      /** The number of classes: a dimension name or a fixed count. */
      readonly labels: string | number;
    }
  | {
      /** Lower bound (excluded), or none. */
      readonly min?: number;
      /** Upper bound (excluded), or none. */
      readonly max?: number;
    };

/** One input of a derivation: its shape (dimension names shared between inputs, or fixed sizes) and domain. @category Verify */
export interface InputSpec {
  /** Dimensions: a name such as `'m'` (sampled, shared by every input that uses it) or a fixed size. */
  readonly shape: readonly (string | number)[];
  /** Where the values come from (default `'real'`). */
  readonly domain?: Domain;
}

/** The inputs as tensors, by name, as `f` and `grad` receive them. @category Verify */
export type Inputs<N extends string> = { readonly [K in N]: Tensor };

/** A case the author wants always tried: the value of every input, and optionally the upstream gradient. @category Verify */
export interface EdgeCase<N extends string = string> {
  /** Shown in the report when this case fails. */
  readonly name: string;
  /** Every input's value (nested arrays); the dimensions follow from their shapes. */
  readonly values: { readonly [K in N]: NestedArray };
  /** The upstream gradient for a non-scalar `f` (default: ones). */
  readonly u?: NestedArray;
}

/** Tolerance of the hand-vs-engine comparison: `|hand − engine| ≤ atol + rtol·max(|hand|, |engine|)`. @category Verify */
export interface Tolerance {
  /** Absolute tolerance (default 1e-7 in float64, 1e-4 in float32). */
  readonly atol?: number;
  /** Relative tolerance (default 1e-6 in float64, 1e-3 in float32). */
  readonly rtol?: number;
}

/** A dimension's sampled range (inclusive), or a fixed size. @category Verify */
export type DimRange =
  | number
  | {
      /** The smallest size tried (≥ 1). */
      readonly min: number;
      /** The largest size tried. */
      readonly max: number;
    };

/** What {@link defineDerivation} takes. @category Verify */
export interface DerivationSpec<N extends string = string> {
  /** Shown in reports. */
  readonly name: string;
  /** The inputs by name. */
  readonly inputs: { readonly [K in N]: InputSpec };
  /** The function, written with tapegrad ops. Any output shape: a non-scalar output is contracted with an upstream gradient `u`. */
  readonly f: (x: Inputs<N>) => Tensor;
  /**
   * The hand derivation: the gradient of `⟨u, f(x)⟩` for some or all inputs, each of its input's shape.
   * `u` has f's shape; it is all ones when f is a scalar, so a scalar loss's gradient can ignore it.
   */
  readonly grad: (x: Inputs<N>, u: Tensor) => { readonly [K in N]?: Tensor };
  /** The dtype the engine and the hand derivation run in (default float64; finite differences always use float64). */
  readonly dtype?: DType;
  /** Tolerance of hand vs engine. */
  readonly tolerance?: Tolerance;
  /** Ranges of the named dimensions (default 1 … 4 each). */
  readonly dims?: { readonly [name: string]: DimRange };
  /** Cases always tried first, before the random search. */
  readonly edgeCases?: readonly EdgeCase<N>[];
}

/** A checked, branded derivation: what {@link defineDerivation} returns and `tapegrad verify` looks for. @category Verify */
export interface Derivation<N extends string = string> extends DerivationSpec<N> {
  /** The input names, in declaration order. */
  readonly inputNames: readonly N[];
  /** The dimension names, in order of first use. */
  readonly dimNames: readonly string[];
}

/** Marks a derivation made by {@link defineDerivation} (a registered symbol, so copies of this package agree). */
export const DERIVATION: unique symbol = Symbol.for('tapegrad.verify.derivation') as never;

const isDomainObject = (d: unknown): d is Record<string, unknown> => typeof d === 'object' && d !== null;

function checkDomain(name: string, input: string, domain: unknown, dims: Set<string>): void {
  if (domain === undefined || domain === 'real' || domain === 'positive' || domain === 'unit' || domain === 'probability') return;
  if (isDomainObject(domain)) {
    if ('labels' in domain) {
      const k = domain.labels;
      if (typeof k === 'string' && dims.has(k)) return;
      if (typeof k === 'number' && Number.isInteger(k) && k >= 1) return;
      throw new ArgumentError(`defineDerivation: input ${input} of '${name}': labels must name a dimension or be an integer ≥ 1, got ${JSON.stringify(k)}`);
    }
    const { min, max } = domain as { min?: unknown; max?: unknown };
    const isBound = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isFinite(v));
    if (isBound(min) && isBound(max) && (min === undefined || max === undefined || (min as number) < (max as number))) return;
  }
  throw new ArgumentError(
    `defineDerivation: input ${input} of '${name}': domain must be 'real', 'positive', 'unit', 'probability', { labels } or { min, max } with min < max, got ${JSON.stringify(domain)}`,
  );
}

/**
 * Declares a hand derivation to verify: a function written with tapegrad ops, and the gradient you derived
 * on paper. {@link verifyDerivation} (or `tapegrad verify FILE.ts`) then searches dimension sizes and values
 * for a point where the two disagree.
 * @param spec The name, the inputs (shapes with named dimensions, domains), `f`, `grad`, and optionally
 *   `dtype`, `tolerance`, `dims` and `edgeCases`.
 * @returns The derivation, checked and branded.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a malformed spec (no inputs, a bad shape or domain).
 * @example
 * ```ts
 * import { defineDerivation, verifyDerivation } from '@tapegrad/verify';
 * // f(x) = Σ x², df/dx = 2x
 * const d = defineDerivation({
 *   name: 'sum of squares',
 *   inputs: { x: { shape: ['n'] } },
 *   f: ({ x }) => x.square().sum(),
 *   grad: ({ x }) => ({ x: x.mul(2) }),
 * });
 * console.log(verifyDerivation(d).verdict); // holds
 * ```
 * @category Verify
 */
export function defineDerivation<N extends string>(spec: DerivationSpec<N>): Derivation<N> {
  if (typeof spec !== 'object' || spec === null) throw new ArgumentError(`defineDerivation: spec must be an object, got ${typeof spec}`);
  const name = spec.name;
  if (typeof name !== 'string' || name.length === 0) throw new ArgumentError(`defineDerivation: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof spec.f !== 'function') throw new ArgumentError(`defineDerivation: f of '${name}' must be a function, got ${typeof spec.f}`);
  if (typeof spec.grad !== 'function') throw new ArgumentError(`defineDerivation: grad of '${name}' must be a function, got ${typeof spec.grad}`);
  if (typeof spec.inputs !== 'object' || spec.inputs === null) throw new ArgumentError(`defineDerivation: inputs of '${name}' must be an object`);
  const inputNames = Object.keys(spec.inputs) as N[];
  if (inputNames.length === 0) throw new ArgumentError(`defineDerivation: '${name}' needs at least one input`);
  const dimNames: string[] = [];
  for (const input of inputNames) {
    const s = spec.inputs[input] as InputSpec | undefined;
    if (s === undefined || !Array.isArray(s.shape)) throw new ArgumentError(`defineDerivation: input ${input} of '${name}' needs a shape array`);
    for (const d of s.shape) {
      if (typeof d === 'string' && d.length > 0) {
        if (!dimNames.includes(d)) dimNames.push(d);
      } else if (!(typeof d === 'number' && Number.isInteger(d) && d >= 1)) {
        throw new ArgumentError(`defineDerivation: input ${input} of '${name}': a dimension must be a name or an integer ≥ 1, got ${JSON.stringify(d)}`);
      }
    }
  }
  for (const input of inputNames) checkDomain(name, input, spec.inputs[input].domain, new Set(dimNames));
  if (inputNames.every((input) => { const dom = spec.inputs[input].domain; return typeof dom === 'object' && 'labels' in dom; })) {
    throw new ArgumentError(`defineDerivation: '${name}' needs an input that is not labels (something to differentiate)`);
  }
  for (const [dim, r] of Object.entries(spec.dims ?? {})) {
    const [lo, hi] = typeof r === 'number' ? [r, r] : [r.min, r.max];
    if (!dimNames.includes(dim)) throw new ArgumentError(`defineDerivation: dims of '${name}' names ${dim}, which no input uses (dimensions: ${dimNames.join(', ')})`);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
      throw new ArgumentError(`defineDerivation: dims.${dim} of '${name}' must be an integer ≥ 1 or { min, max } with 1 ≤ min ≤ max, got ${JSON.stringify(r)}`);
    }
  }
  if (spec.dtype !== undefined && spec.dtype !== 'float64' && spec.dtype !== 'float32') {
    throw new ArgumentError(`defineDerivation: dtype of '${name}' must be 'float64' or 'float32', got ${JSON.stringify(spec.dtype)}`);
  }
  const d = { ...spec, inputNames, dimNames };
  Object.defineProperty(d, DERIVATION, { value: true, enumerable: false });
  return d;
}

/**
 * Whether a value is a derivation made by {@link defineDerivation} (from any copy of this package).
 * @param x Anything, e.g. a module's export.
 * @returns True for a derivation.
 * @example
 * ```ts
 * import { isDerivation } from '@tapegrad/verify';
 * console.log(isDerivation({ name: 'not one' })); // false
 * ```
 * @category Verify
 */
export function isDerivation(x: unknown): x is Derivation {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[DERIVATION] === true;
}
