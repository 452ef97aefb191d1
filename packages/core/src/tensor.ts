import { ArgumentError, DTypeError, ShapeError } from './errors.ts';
import { backward, type BackwardOptions } from './engine.ts';
import type { FloatArray } from './kernels/gemm.ts';
import type { MatmulOptions } from './ops/matmul.ts';
import { ops } from './ops/table.ts';
import type { Value } from './value.ts';
import type { LossOptions } from './ops/loss-reduction.ts';
import { Rng } from './random.ts';
import { checkShape, fmt, sizeOf, type Shape } from './shape.ts';
import { state, type TapeNode } from './tape.ts';

/** Element type of a tensor. `float64` is the default: gradient checks need it. @category Autograd */
export type DType = 'float64' | 'float32';

// One FloatArray for tensors and the GEMM kernel, so the docs show a single symbol.
export type { FloatArray };

/** Nested arrays of numbers, as `tensor()` accepts them. @category Autograd */
export type NestedArray = number | readonly NestedArray[];

/** What an op accepts where a tensor is expected: a tensor, or a number broadcast as a scalar. @category Autograd */
export type TensorLike = Tensor | number;

/** Options of the tensor factories. @category Autograd */
export interface TensorOptions {
  /** The shape; inferred from nested arrays when absent. */
  readonly shape?: Shape;
  /** `float64` (default) or `float32`. */
  readonly dtype?: DType;
  /** Whether to track gradients (default false). */
  readonly requiresGrad?: boolean;
}

/** A gradient hook: sees the gradient flowing into a tensor and may return a replacement. @category Autograd */
export type GradHook = (grad: Tensor) => Tensor | void;

/**
 * An n-dimensional array on the tape: contiguous row-major storage in a typed array.
 *
 * Ops on tensors that require grad are recorded; `backward()` fills `.grad` of the leaves they came
 * from. Leaf gradients accumulate across backward calls until cleared (`t.grad = null`).
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * console.log(x.grad!.toArray()); // [[2, 4], [6, 8]]
 * ```
 * @category Autograd
 */
export class Tensor {
  /** Creation sequence number (unique). */
  readonly id: number;
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /** The elements, row-major. An optimizer may update it in place (then call {@link Tensor.bumpVersion}). */
  data: FloatArray;
  /** Whether ops on this tensor are recorded. */
  requiresGrad: boolean;
  /** ∂L/∂this after backward (leaves, and non-leaves that called {@link Tensor.retainGrad}). */
  grad: Tensor | null = null;
  /** @internal The tape node that produced this tensor; null for leaves. */
  node: TapeNode | null = null;
  /** @internal The version counter, shared by every tensor that views the same storage (see {@link Tensor.detach}). */
  versionCell: { value: number } | null = null;
  /** @internal Gradient hooks, in registration order. */
  hooks: GradHook[] | null = null;
  /** @internal Whether a non-leaf keeps its gradient in `.grad`. */
  isRetainingGrad = false;

  /** @internal Use {@link tensor} or the other factories. */
  constructor(data: FloatArray, shape: Shape, dtype: DType, requiresGrad = false) {
    this.id = state.nextId++;
    this.data = data;
    this.shape = shape;
    this.dtype = dtype;
    this.requiresGrad = requiresGrad;
  }

  /** @internal Wraps a typed array the caller owns (no copy, no checks). */
  static fromData(data: FloatArray, shape: Shape, dtype: DType): Tensor {
    return new Tensor(data, shape, dtype);
  }

  /** The number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True for tensors the user made (no recorded op produced them). */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The elements as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    if (state.tracer !== null) state.tracer.onRead(this);
    return nest(this.data, this.shape, 0, 0);
  }

  /**
   * The single element of a one-element tensor.
   * @throws {@link ShapeError} when the tensor has more than one element.
   */
  item(): number {
    if (this.data.length !== 1) throw new ShapeError(`item: tensor must have exactly one element, got shape ${fmt(this.shape)}`);
    if (state.tracer !== null) state.tracer.onRead(this);
    return this.data[0]!;
  }

  /** Prints like NumPy/PyTorch, with shape and dtype. */
  toString(): string {
    if (state.tracer !== null) state.tracer.onRead(this);
    return formatTensor(this);
  }

  /**
   * Backpropagates from this tensor: every leaf it depends on gets `.grad += ∂this/∂leaf · grad`.
   * @param grad The seed gradient ∂L/∂this; required unless this tensor has one element.
   * @param opts `retainGraph` keeps the graph for another backward; `createGraph` records the backward pass.
   * @throws {@link GradError} for a non-scalar without a seed, or a released graph.
   */
  backward(grad?: Tensor | null, opts: BackwardOptions = {}): void {
    backward(this, grad ?? undefined, opts);
  }

  /** Bumped by every in-place change; backward refuses tensors changed since they were recorded. */
  get version(): number {
    return this.versionCell === null ? 0 : this.versionCell.value;
  }

  /**
   * A new leaf sharing this tensor's data, cut out of the graph (no grad). It shares the version
   * counter too, so an in-place change through either one is seen by backward.
   */
  detach(): Tensor {
    const t = new Tensor(this.data, this.shape, this.dtype, false);
    t.versionCell = this.versionCell ??= { value: 0 };
    return t;
  }

  /** Keeps this non-leaf's gradient in `.grad` after backward (as PyTorch's `retain_grad`). */
  retainGrad(): this {
    if (this.node !== null) this.isRetainingGrad = true;
    return this;
  }

  /**
   * Registers a hook that runs when the gradient flowing into this tensor is complete; it may return a
   * replacement gradient.
   * @returns A handle whose `remove()` unregisters the hook.
   */
  registerHook(hook: GradHook): {
    /** Unregisters the hook. */
    remove(): void;
  } {
    if (!this.requiresGrad) throw new ArgumentError('registerHook: the tensor does not require grad');
    (this.hooks ??= []).push(hook);
    return {
      remove: () => {
        const i = this.hooks?.indexOf(hook) ?? -1;
        if (i >= 0) this.hooks!.splice(i, 1);
      },
    };
  }

  /** Marks an in-place change of `.data` so backward can refuse stale saved tensors. */
  bumpVersion(): void {
    (this.versionCell ??= { value: 0 }).value++;
  }

  /** A copy with its own storage, on the tape like any op. */
  clone(): Tensor {
    return ops.mul(this, 1);
  }

  /** This tensor in another dtype (a new leaf; no gradient flows through the cast). */
  astype(dtype: DType): Tensor {
    const data = dtype === 'float32' ? Float32Array.from(this.data) : Float64Array.from(this.data);
    return new Tensor(data, this.shape, dtype, false);
  }

  /** Elementwise a + b with broadcasting; see {@link @tapegrad/core!add | add}. */
  add(b: TensorLike): Tensor { return ops.add(this, b); }
  /** Elementwise a − b with broadcasting; see {@link @tapegrad/core!sub | sub}. */
  sub(b: TensorLike): Tensor { return ops.sub(this, b); }
  /** Elementwise a · b with broadcasting; see {@link @tapegrad/core!mul | mul}. */
  mul(b: TensorLike): Tensor { return ops.mul(this, b); }
  /** Elementwise a / b with broadcasting; see {@link @tapegrad/core!div | div}. */
  div(b: TensorLike): Tensor { return ops.div(this, b); }
  /** Elementwise aᵇ with broadcasting; see {@link @tapegrad/core!pow | pow}. */
  pow(b: TensorLike): Tensor { return ops.pow(this, b); }
  /** Elementwise max(a, b) with broadcasting (ties split the gradient evenly); see {@link @tapegrad/core!maximum | maximum}. */
  maximum(b: TensorLike): Tensor { return ops.maximum(this, b); }
  /** Elementwise min(a, b) with broadcasting (ties split the gradient evenly); see {@link @tapegrad/core!minimum | minimum}. */
  minimum(b: TensorLike): Tensor { return ops.minimum(this, b); }
  /** Elementwise −x; see {@link @tapegrad/core!neg | neg}. */
  neg(): Tensor { return ops.neg(this); }
  /** Elementwise eˣ; see {@link @tapegrad/core!exp | exp}. */
  exp(): Tensor { return ops.exp(this); }
  /** Elementwise ln x; see {@link @tapegrad/core!log | log}. */
  log(): Tensor { return ops.log(this); }
  /** Elementwise ln(1 + x), accurate for small x; see {@link @tapegrad/core!log1p | log1p}. */
  log1p(): Tensor { return ops.log1p(this); }
  /** Elementwise √x; see {@link @tapegrad/core!sqrt | sqrt}. */
  sqrt(): Tensor { return ops.sqrt(this); }
  /** Elementwise |x| (subgradient 0 at x = 0); see {@link @tapegrad/core!abs | abs}. */
  abs(): Tensor { return ops.abs(this); }
  /** Elementwise x²; see {@link @tapegrad/core!square | square}. */
  square(): Tensor { return ops.square(this); }
  /** Elementwise σ(x) = 1 / (1 + e⁻ˣ); see {@link @tapegrad/core!sigmoid | sigmoid}. */
  sigmoid(): Tensor { return ops.sigmoid(this); }
  /** Elementwise tanh x; see {@link @tapegrad/core!tanh | tanh}. */
  tanh(): Tensor { return ops.tanh(this); }
  /** Elementwise max(x, 0) (subgradient 0 at x = 0); see {@link @tapegrad/core!relu | relu}. */
  relu(): Tensor { return ops.relu(this); }
  /** Elementwise ln(1 + eˣ), computed without overflow; see {@link @tapegrad/core!softplus | softplus}. */
  softplus(): Tensor { return ops.softplus(this); }
  /** Elementwise sin x; see {@link @tapegrad/core!sin | sin}. */
  sin(): Tensor { return ops.sin(this); }
  /** Elementwise cos x; see {@link @tapegrad/core!cos | cos}. */
  cos(): Tensor { return ops.cos(this); }
  /** The sum Σᵢ xᵢ over `axis` (all axes when absent); see {@link @tapegrad/core!sum | sum}. */
  sum(axis?: number | readonly number[], keepdims = false): Tensor { return ops.sum(this, axis, keepdims); }
  /** The mean (1/n) Σᵢ xᵢ over `axis` (all axes when absent); see {@link @tapegrad/core!mean | mean}. */
  mean(axis?: number | readonly number[], keepdims = false): Tensor { return ops.mean(this, axis, keepdims); }
  /** The same elements in a new shape (one dimension may be -1); see {@link @tapegrad/core!reshape | reshape}. */
  reshape(shape: Shape): Tensor { return ops.reshape(this, shape); }
  /** Repeats this tensor along size-1 and new leading axes to reach `shape`; see {@link @tapegrad/core!broadcastTo | broadcastTo}. */
  broadcastTo(shape: Shape): Tensor { return ops.broadcastTo(this, shape); }
  /** Permutes the axes (default: swaps the last two); see {@link @tapegrad/core!transpose | transpose}. */
  transpose(axes?: readonly number[]): Tensor { return ops.transpose(this, axes); }
  /** The matrix product Y = A·B, NumPy-style, with optional transpose flags; see {@link @tapegrad/core!matmul | matmul}. */
  matmul(b: Tensor, opts?: MatmulOptions): Tensor { return ops.matmul(this, b, opts); }
  /** The maximum over `axis` (all axes when absent); ties share the gradient evenly. */
  max(axis?: number | readonly number[], keepdims = false): Tensor { return ops.max(this, axis, keepdims); }
  /** The minimum over `axis` (all axes when absent); ties share the gradient evenly. */
  min(axis?: number | readonly number[], keepdims = false): Tensor { return ops.min(this, axis, keepdims); }
  /** Log-sum-exp `ln Σ eˣ` over `axis`, shifted by the max so it never overflows. */
  logsumexp(axis?: number | readonly number[], keepdims = false): Tensor { return ops.logsumexp(this, axis, keepdims); }
  /** Softmax along `axis` (default the last), shifted by the max. */
  softmax(axis = -1): Tensor { return ops.softmax(this, axis); }
  /** Log-softmax along `axis` (default the last), shifted by the max. */
  logSoftmax(axis = -1): Tensor { return ops.logSoftmax(this, axis); }
  /** Drops the given size-1 axes, or all of them. */
  squeeze(axis?: number | readonly number[]): Tensor { return ops.squeeze(this, axis); }
  /** Inserts a size-1 axis at `axis`. */
  unsqueeze(axis: number): Tensor { return ops.unsqueeze(this, axis); }
  /** The range `start ≤ i < end` along `axis`, as Python's `x[start:end]` (negative indices count from the end). */
  slice(axis: number, start: number, end?: number): Tensor { return ops.slice(this, axis, start, end); }
  /** Clamp into `[min, max]`; either bound may be left out. */
  clamp(min?: number, max?: number): Tensor { return ops.clamp(this, min, max); }
  /** `where(cond, this, b)`, as PyTorch's `a.where(cond, b)`: this where cond is nonzero, else b. */
  where(cond: Tensor, b: TensorLike): Tensor { return ops.where(cond, this, b); }
  /** Binary cross-entropy of these probabilities against targets `t` (mean by default). */
  binaryCrossEntropy(t: Tensor, opts?: LossOptions): Tensor { return ops.binaryCrossEntropy(this, t, opts); }
  /** Binary cross-entropy of these logits against targets `t` (mean by default). */
  binaryCrossEntropyWithLogits(t: Tensor, opts?: LossOptions): Tensor { return ops.binaryCrossEntropyWithLogits(this, t, opts); }
  /** Squared error against `t` (mean by default). */
  mseLoss(t: Tensor, opts?: LossOptions): Tensor { return ops.mseLoss(this, t, opts); }
  /** Cross-entropy of these logits `[m, classes]` against integer class labels (mean by default). */
  crossEntropy(labels: Tensor | readonly number[], opts?: LossOptions): Tensor { return ops.crossEntropy(this, labels, opts); }
}

function nest(data: FloatArray, shape: Shape, dim: number, offset: number): NestedArray {
  if (dim === shape.length) return data[offset]!;
  const n = shape[dim]!;
  let stride = 1;
  for (let i = dim + 1; i < shape.length; i++) stride *= shape[i]!;
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) out.push(nest(data, shape, dim + 1, offset + i * stride));
  return out;
}

/**
 * One number format for a whole tensor, chosen as PyTorch does: `1.` when every finite element is an
 * integer, scientific `1.0000e-07` when magnitudes span more than 1000× or leave [1e-4, 1e8], else `0.5000`.
 */
function numberFormat(data: FloatArray): (x: number) => string {
  let isInt = true;
  let lo = Infinity;
  let hi = 0;
  for (const x of data) {
    if (!Number.isFinite(x)) continue;
    if (!Number.isInteger(x)) isInt = false;
    const a = Math.abs(x);
    if (a !== 0) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
  }
  const isSci = hi > 1e8 || (!isInt && (hi / lo > 1000 || lo < 1e-4));
  return (x) => {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (isSci) return x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
    return isInt ? `${x}.` : x.toFixed(4);
  };
}

function formatTensor(t: Tensor): string {
  const formatNumber = numberFormat(t.data);
  const cells = Array.from(t.data, formatNumber);
  const width = cells.reduce((w, c) => Math.max(w, c.length), 0);
  const pad = (s: string): string => s.padStart(width);
  const rank = t.shape.length;
  const strides: number[] = [];
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= t.shape[i]!;
  }
  // Long dimensions show their first and last three entries, as NumPy does.
  const render = (dim: number, offset: number, indent: string): string => {
    if (dim === rank) return pad(cells[offset]!);
    const n = t.shape[dim]!;
    const idx = n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
    const parts = idx.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim]!, indent + ' ')));
    const sep = dim === rank - 1 ? ', ' : ',\n' + '\n'.repeat(Math.max(0, rank - dim - 2)) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  const body = rank === 0 ? formatNumber(t.data[0]!) : render(0, 0, '       ');
  const grad = t.node !== null ? `, grad_fn=${t.node.op.name}` : t.requiresGrad ? ', requiresGrad=true' : '';
  return `tensor(${body}, shape=${fmt(t.shape)}, dtype=${t.dtype}${grad})`;
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
  } else if (ArrayBuffer.isView(data) || (typeof data === 'object' && data !== null && 'length' in data)) {
    flat = data as ArrayLike<number>;
    shape = [flat.length];
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
  for (let i = 0; i < flat.length; i++) {
    if (typeof flat[i] !== 'number') throw new ArgumentError(`tensor: elements must be numbers, got ${typeof flat[i]} at index ${i}`);
  }
  const arr = dtype === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat);
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

function filled(op: string, shape: Shape, value: number, opts: Omit<TensorOptions, 'shape'>): Tensor {
  checkShape(op, shape);
  const dtype = checkDType(op, opts.dtype);
  const n = sizeOf(shape);
  const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
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
