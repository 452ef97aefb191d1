// The Tensor class: storage, shape, version counter, hooks, and one-line methods that call the ops through the late-bound table.
import type { BackwardOptions } from '../autograd/engine.ts';
import { ArgumentError, ShapeError } from '../base/errors.ts';
import type { DType, FloatArray } from '../base/dtype.ts';
import { fmt, type Shape } from '../base/shape.ts';
import type { MatmulOptions } from '../ops/matmul.ts';
import type { LossOptions } from '../ops/loss-reduction.ts';
import type { ArgReduceOptions } from '../ops/argmax.ts';
import type { DropoutOptions } from '../ops/dropout.ts';
import type { EluOptions } from '../ops/elu.ts';
import type { LayerNormOptions } from '../ops/layer-norm.ts';
import type { LeakyReluOptions } from '../ops/leaky-relu.ts';
import type { PadOptions } from '../ops/pad.ts';
import { bound, ops } from './bindings.ts';
import { formatTensor } from './format.ts';
import { state, type TapeNode } from './tape.ts';

/** Nested arrays of numbers, as `tensor()` accepts them. @category Autograd */
export type NestedArray = number | readonly NestedArray[];

/** What an op accepts where a tensor is expected: a tensor, or a number broadcast as a scalar. @category Autograd */
export type TensorLike = Tensor | number;

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
  /** The elements, row-major. Change them in place through {@link @tapegrad/core!mutate | mutate}, which bumps the version. */
  data: FloatArray;
  /** Whether ops on this tensor are recorded. */
  requiresGrad: boolean;
  /** @internal Storage of {@link Tensor.grad}. */
  gradSlot: Tensor | null = null;
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

  /** ∂L/∂this after backward (leaves, and non-leaves that called {@link Tensor.retainGrad}); null until then. */
  get grad(): Tensor | null {
    return this.gradSlot;
  }

  /** Sets or clears the gradient (`p.grad = null` zeroes it for the next backward). */
  set grad(g: Tensor | null) {
    if (state.tracer !== null) state.tracer.onGradWrite(this, g);
    this.gradSlot = g;
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
    bound.backward(this, grad ?? undefined, opts);
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

  /**
   * Marks an in-place change of `.data` so backward can refuse stale saved tensors. Core's own door:
   * user code (and nn) changes storage through {@link @tapegrad/core!mutate | mutate}, which calls this.
   * @internal
   */
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
  /** The op `gelu(this)`. */
  gelu(): Tensor { return ops.gelu(this); }
  /** The op `silu(this)`. */
  silu(): Tensor { return ops.silu(this); }
  /** The op `logSigmoid(this)`. */
  logSigmoid(): Tensor { return ops.logSigmoid(this); }
  /** The op `erf(this)`. */
  erf(): Tensor { return ops.erf(this); }
  /** The op `leakyRelu(this, opts)`. */
  leakyRelu(opts?: LeakyReluOptions): Tensor { return ops.leakyRelu(this, opts); }
  /** The op `elu(this, opts)`. */
  elu(opts?: EluOptions): Tensor { return ops.elu(this, opts); }
  /** The op `gather(this, axis, index)`. */
  gather(axis: number, index: Tensor): Tensor { return ops.gather(this, axis, index); }
  /** The op `indexSelect(this, axis, index)`. */
  indexSelect(axis: number, index: Tensor | readonly number[]): Tensor { return ops.indexSelect(this, axis, index); }
  /** The op `argmax(this, axis, opts)`. */
  argmax(axis?: number, opts?: ArgReduceOptions): Tensor { return ops.argmax(this, axis, opts); }
  /** The op `argmin(this, axis, opts)`. */
  argmin(axis?: number, opts?: ArgReduceOptions): Tensor { return ops.argmin(this, axis, opts); }
  /** The op `cumsum(this, axis)`. */
  cumsum(axis: number): Tensor { return ops.cumsum(this, axis); }
  /** The op `flip(this, axes)`. */
  flip(axes: number | readonly number[]): Tensor { return ops.flip(this, axes); }
  /** The op `split(this, splitSizeOrSections, axis)`. */
  split(splitSizeOrSections: number | readonly number[], axis?: number): Tensor[] { return ops.split(this, splitSizeOrSections, axis); }
  /** The op `chunk(this, chunks, axis)`. */
  chunk(chunks: number, axis?: number): Tensor[] { return ops.chunk(this, chunks, axis); }
  /** The op `pad(this, pads, opts)`. */
  pad(pads: readonly number[], opts?: PadOptions): Tensor { return ops.pad(this, pads, opts); }
  /** The op `tile(this, reps)`. */
  tile(reps: readonly number[]): Tensor { return ops.tile(this, reps); }
  /** The op `repeat(this, sizes)`. */
  repeat(sizes: readonly number[]): Tensor { return ops.repeat(this, sizes); }
  /** The op `layerNorm(this, normalizedShape, weight, bias, opts)`. */
  layerNorm(normalizedShape: number | Shape, weight?: Tensor | null, bias?: Tensor | null, opts?: LayerNormOptions): Tensor { return ops.layerNorm(this, normalizedShape, weight, bias, opts); }
  /** The op `dropout(this, opts)`. */
  dropout(opts?: DropoutOptions): Tensor { return ops.dropout(this, opts); }
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

