// The tensor factories: tensor() from nested arrays, zeros/ones/full/eye, ranges, seeded random tensors, stopGradient.
import { ArgumentError, DTypeError, ShapeError } from '../base/errors.ts';
import type { DType, FloatArray } from '../base/dtype.ts';
import { Rng } from '../base/random.ts';
import { checkShape, fmt, sizeOf, type Shape } from '../base/shape.ts';
import { Tensor, type NestedArray } from './tensor.ts';
import type { Value } from './value.ts';

/** Options of the tensor factories. @category Autograd */
export interface TensorOptions {
  /** The shape; inferred from nested arrays when absent. */
  readonly shape?: Shape;
  /** `float64` (default) or `float32`. */
  readonly dtype?: DType;
  /** Whether to track gradients (default false). */
  readonly requiresGrad?: boolean;
}

function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = (cur as readonly NestedArray[])[0]!;
  }
  // Check that every sub-array has the same length at each depth (no ragged arrays).
  const check = (x: NestedArray, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(x)) throw new ShapeError(`${op}: data is ragged, got an array at ${path || 'the top'} where a number was expected`);
      if (typeof x !== 'number') throw new ArgumentError(`${op}: elements must be numbers, got ${x === null ? 'null' : typeof x} at ${path || 'the top'}`);
      return;
    }
    if (!Array.isArray(x)) throw new ShapeError(`${op}: data is ragged, got a number at ${path || 'the top'} where an array of length ${shape[dim]} was expected`);
    const arr = x as readonly NestedArray[];
    if (arr.length !== shape[dim]) {
      throw new ShapeError(`${op}: data is ragged, got length ${arr.length} at ${path || 'the top'} where ${shape[dim]} was expected`);
    }
    arr.forEach((y, i) => check(y, dim + 1, `${path}[${i}]`));
  };
  check(data, 0, '');
  return shape;
}

function flatten(data: NestedArray, out: number[]): void {
  if (typeof data === 'number') out.push(data);
  else for (const x of data) flatten(x, out);
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return 'float64';
  if (dtype !== 'float64' && dtype !== 'float32') throw new DTypeError(`${op}: dtype must be 'float64' or 'float32', got ${String(dtype)}`);
  return dtype;
}

/**
 * Makes a leaf tensor from nested arrays, a flat array or a typed array (copied).
 * @param data The elements; nested arrays give the shape, flat data needs `shape` (else it is 1-D).
 * @param opts `shape`, `dtype` (default `float64`), `requiresGrad` (default false).
 * @returns The new tensor.
 * @throws {@link ShapeError} for ragged arrays or a shape that does not match the data's length.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * const a = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
 * console.log(a.shape); // [2, 3]
 * ```
 * @category Autograd
 */
export function tensor(data: NestedArray | ArrayLike<number>, opts: TensorOptions = {}): Tensor {
  const dtype = checkDType('tensor', opts.dtype);
  let flat: ArrayLike<number>;
  let shape: Shape;
  if (typeof data === 'number') {
    flat = [data];
    shape = [];
  } else if (Array.isArray(data)) {
    shape = inferShape('tensor', data as NestedArray);
    const f: number[] = [];
    flatten(data as NestedArray, f);
    flat = f;
    if (opts.shape !== undefined && shape.length <= 1) shape = [f.length];
  } else if ((ArrayBuffer.isView(data) && !(data instanceof DataView)) || (typeof data === 'object' && data !== null && 'length' in data)) {
    flat = data as ArrayLike<number>;
    const n: unknown = flat.length;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new ArgumentError(`tensor: an array-like's length must be a non-negative integer, got ${typeof n === 'number' ? String(n) : typeof n}`);
    }
    shape = [n];
  } else if ((data as unknown) instanceof DataView) {
    throw new ArgumentError('tensor: data must be a number, an array or a typed array, got a DataView (wrap its buffer in a Float64Array or Float32Array)');
  } else {
    throw new ArgumentError(`tensor: data must be a number, an array or a typed array, got ${typeof data}`);
  }
  if (opts.shape !== undefined) {
    checkShape('tensor', opts.shape);
    const nested = Array.isArray(data) && shape.length > 1;
    if (sizeOf(opts.shape) !== flat.length || (nested && fmt(opts.shape) !== fmt(shape))) {
      throw new ShapeError(`tensor: shape must match the data, got shape ${fmt(opts.shape)} for ${flat.length} elements${nested ? ` of shape ${fmt(shape)}` : ''}`);
    }
    shape = [...opts.shape];
  }
  // Allocated before the elements are read, so an absurd length fails at once with the size.
  const arr = allocShape('tensor', dtype, shape);
  for (let i = 0; i < arr.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new ArgumentError(`tensor: elements must be numbers, got ${typeof v} at index ${i}`);
    arr[i] = v;
  }
  return new Tensor(arr, shape, dtype, opts.requiresGrad ?? false);
}

const constants64 = new Map<number, Tensor>();
const constants32 = new Map<number, Tensor>();

/** A 0-d constant tensor of the given dtype. @internal */
export function scalarLike(x: number, dtype: DType): Tensor {
  // Number operands (`y.mul(2)`) become constant 0-d tensors; the same few constants recur in every
  // step of a loop, so each is made once. Nobody holds a handle to them to change them in place.
  // −0 is not cached: the Map would hand back +0 for it, and 1/−0 differs from 1/+0.
  const cache = dtype === 'float32' ? constants32 : constants64;
  let t = Object.is(x, -0) ? undefined : cache.get(x);
  if (t === undefined) {
    if (cache.size >= 512) cache.clear();
    const data = dtype === 'float32' ? new Float32Array(1) : new Float64Array(1);
    data[0] = x;
    t = new Tensor(data, [], dtype, false);
    cache.set(x, t);
  }
  return t;
}

/** Storage for `shape`; a size the runtime cannot allocate is a ShapeError naming the op and the size. */
function allocShape(op: string, dtype: DType, shape: Shape): FloatArray {
  const n = sizeOf(shape);
  try {
    return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ShapeError(`${op}: shape ${fmt(shape)} needs ${n} elements (${n * (dtype === 'float32' ? 4 : 8)} bytes of ${dtype}), more than can be allocated`);
  }
}

function filled(op: string, shape: Shape, value: number, opts: Omit<TensorOptions, 'shape'>): Tensor {
  checkShape(op, shape);
  const dtype = checkDType(op, opts.dtype);
  const data = allocShape(op, dtype, shape);
  if (value !== 0) data.fill(value);
  return new Tensor(data, [...shape], dtype, opts.requiresGrad ?? false);
}

/**
 * A tensor of zeros.
 * @param shape The shape.
 * @param opts `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * console.log(zeros([2, 2]).toArray()); // [[0, 0], [0, 0]]
 * ```
 * @category Autograd
 */
export function zeros(shape: Shape, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('zeros', shape, 0, opts);
}

/**
 * A tensor of ones.
 * @param shape The shape.
 * @param opts `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { ones } from '@tapegrad/core';
 * console.log(ones([3]).toArray()); // [1, 1, 1]
 * ```
 * @category Autograd
 */
export function ones(shape: Shape, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('ones', shape, 1, opts);
}

/**
 * A tensor filled with one value.
 * @param shape The shape.
 * @param value The fill value.
 * @param opts `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { full } from '@tapegrad/core';
 * console.log(full([2], 7).toArray()); // [7, 7]
 * ```
 * @category Autograd
 */
export function full(shape: Shape, value: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('full', shape, value, opts);
}

/**
 * The n×n identity matrix.
 * @param n The size.
 * @param opts `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { eye } from '@tapegrad/core';
 * console.log(eye(2).toArray()); // [[1, 0], [0, 1]]
 * ```
 * @category Autograd
 */
export function eye(n: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  const t = filled('eye', [n, n], 0, opts);
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}

/**
 * Evenly spaced values in [start, stop) with the given step.
 * @param start The first value (or the stop, when it is the only argument).
 * @param stop The end (excluded).
 * @param step The spacing (default 1).
 * @param opts `dtype`, `requiresGrad`.
 * @returns A 1-D tensor.
 * @example
 * ```ts
 * import { arange } from '@tapegrad/core';
 * console.log(arange(0, 5, 2).toArray()); // [0, 2, 4]
 * ```
 * @category Autograd
 */
export function arange(start: number, stop?: number, step = 1, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step)) throw new ArgumentError(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const t = filled('arange', [n], 0, opts);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}

/**
 * `num` evenly spaced values from `start` to `stop`, both included.
 * @param start The first value.
 * @param stop The last value.
 * @param num How many values (at least 1).
 * @param opts `dtype`, `requiresGrad`.
 * @returns A 1-D tensor.
 * @example
 * ```ts
 * import { linspace } from '@tapegrad/core';
 * console.log(linspace(0, 1, 3).toArray()); // [0, 0.5, 1]
 * ```
 * @category Autograd
 */
export function linspace(start: number, stop: number, num: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  if (!Number.isInteger(num) || num < 1) throw new ArgumentError(`linspace: num must be a positive integer, got ${num}`);
  const t = filled('linspace', [num], 0, opts);
  const step = num === 1 ? 0 : (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) t.data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return t;
}

/** Options of the random factories. @category Autograd */
export interface RandomOptions extends Omit<TensorOptions, 'shape'> {
  /** Seed of the {@link Rng} (default 0), or a generator to draw from. */
  readonly seed?: number | Rng;
}

/**
 * Uniform random numbers in [0, 1) from the seeded {@link Rng}: the same seed gives the same tensor on
 * every machine.
 * @param shape The shape.
 * @param opts `seed` (default 0) or an `Rng`, `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { rand } from '@tapegrad/core';
 * console.log(rand([2], { seed: 1 }).shape); // [2]
 * ```
 * @category Autograd
 */
export function rand(shape: Shape, opts: RandomOptions = {}): Tensor {
  const t = filled('rand', shape, 0, opts);
  const rng = opts.seed instanceof Rng ? opts.seed : new Rng(opts.seed ?? 0);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform();
  return t;
}

/**
 * Standard normal random numbers from the seeded {@link Rng} (Box–Muller).
 * @param shape The shape.
 * @param opts `seed` (default 0) or an `Rng`, `dtype`, `requiresGrad`.
 * @returns The new tensor.
 * @example
 * ```ts
 * import { randn } from '@tapegrad/core';
 * console.log(randn([3, 2], { seed: 7 }).shape); // [3, 2]
 * ```
 * @category Autograd
 */
export function randn(shape: Shape, opts: RandomOptions = {}): Tensor {
  const t = filled('randn', shape, 0, opts);
  const rng = opts.seed instanceof Rng ? opts.seed : new Rng(opts.seed ?? 0);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/**
 * JAX's name for {@link Tensor.detach}: the same values, cut out of the graph, so no gradient flows
 * back through them (`∂ stopGradient(x) / ∂x = 0`). Works on tensors and on scalar `Value`s.
 * @param x The tensor (or value) to stop.
 * @returns A leaf that does not require grad, sharing x's data (and, for tensors, its version counter).
 * @example
 * ```ts
 * import { stopGradient, tensor } from '@tapegrad/core';
 * const x = tensor([3], { requiresGrad: true });
 * x.mul(stopGradient(x)).sum().backward();
 * console.log(x.grad!.toArray()); // [3]
 * ```
 * @category Autograd
 */
export function stopGradient(x: Tensor): Tensor;
export function stopGradient(x: Value): Value;
export function stopGradient(x: Tensor | Value): Tensor | Value {
  return x.detach();
}

/**
 * Wraps a typed array as a tensor without copying it (as `torch.from_numpy`): the tensor and the caller
 * share the storage, and the dtype follows the array type. For code that fills buffers itself (data
 * loaders, hand-written fast paths).
 * @param data The elements, row-major; a `Float64Array` or a `Float32Array`.
 * @param shape The shape; its size must equal `data.length`.
 * @param opts `requiresGrad` (default false).
 * @returns The new leaf tensor over `data`.
 * @throws {@link ArgumentError} for data that is not a Float64Array or Float32Array; {@link ShapeError} when the shape does not match.
 * @example
 * ```ts
 * import { fromBuffer } from '@tapegrad/core';
 * const buf = new Float64Array([1, 2, 3, 4]);
 * const t = fromBuffer(buf, [2, 2]);
 * buf[0] = 9;
 * console.log(t.toArray()); // [[9, 2], [3, 4]]
 * ```
 * @category Autograd
 */
export function fromBuffer(data: FloatArray, shape: Shape, opts: { readonly requiresGrad?: boolean } = {}): Tensor {
  const dtype = data instanceof Float64Array ? 'float64' : data instanceof Float32Array ? 'float32' : undefined;
  if (dtype === undefined) throw new ArgumentError(`fromBuffer: data must be a Float64Array or a Float32Array, got ${describeData(data)}`);
  checkShape('fromBuffer', shape);
  if (sizeOf(shape) !== data.length) throw new ShapeError(`fromBuffer: shape must match the data, got shape ${fmt(shape)} for ${data.length} elements`);
  return new Tensor(data, [...shape], dtype, opts.requiresGrad ?? false);
}

function describeData(x: unknown): string {
  return x === null ? 'null' : typeof x === 'object' ? (x as object).constructor.name : typeof x;
}
