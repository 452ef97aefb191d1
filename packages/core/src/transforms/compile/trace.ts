// compile's tracer: runs a function once, eagerly, and keeps a straight-line record (the IR) of every
// op, backward pass, in-place update and gradient write it made, for the planner to replay.
import { CompileError, GradError } from '../../base/errors.ts';
import type { OpDef } from '../../ops/define.ts';
import { fmt, sameShape, type Shape } from '../../base/shape.ts';
import { sumToShape } from '../../autograd/engine.ts';
import { releaseNode, state, withRecording, type TapeNode, type TraceHooks } from '../../graph/tape.ts';
import { releasedError } from '../../autograd/checks.ts';
import type { DType, FloatArray } from '../../base/dtype.ts';
import { ones } from '../../graph/creation.ts';
import { Tensor } from '../../graph/tensor.ts';
import { add } from '../../ops/add.ts';
import type { Value } from '../../graph/value.ts';
import { ScalarTracer } from './scalar.ts';


/** Where an IR value's storage comes from at replay time. */
export type ValueSource =
  | { readonly kind: 'arg'; readonly index: number }
  | { readonly kind: 'external'; readonly tensor: Tensor }
  | { readonly kind: 'op'; readonly node: number }
  | { readonly kind: 'alias'; readonly of: number }
  /** A leaf's `.grad` after a traced backward wrote it: storage the plan's gradient step provides. */
  | { readonly kind: 'grad'; readonly node: number };

/** A tensor the traced function touched. */
export interface IrValue {
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
  readonly size: number;
  readonly source: ValueSource;
}

/** One step of the traced function, in the order it ran. */
export type IrNode =
  | {
      readonly kind: 'op';
      readonly op: OpDef;
      readonly inputs: readonly number[];
      readonly output: number;
      readonly attrs: unknown;
      /** Tensors among the attributes (labels an op reads values from): replayed from their current storage. */
      readonly attrTensors: readonly (readonly [string, number])[];
    }
  | {
      readonly kind: 'inplace';
      readonly name: string;
      readonly target: number;
      readonly operand: number | { readonly constant: number };
      readonly f: (x: number, y: number) => number;
    }
  | { readonly kind: 'setGrad'; readonly leaf: number; readonly grad: number; readonly isAccumulating: boolean; readonly result: number }
  | { readonly kind: 'clearGrad'; readonly leaf: number };

/** What a traced function returned, in terms of IR values. */
export type IrResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'tensor'; readonly id: number }
  | { readonly kind: 'item'; readonly id: number }
  | { readonly kind: 'constant'; readonly value: unknown }
  | { readonly kind: 'array'; readonly items: readonly IrResult[] }
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, IrResult])[] };

/** The whole record of one traced call. */
export interface Trace {
  readonly values: readonly IrValue[];
  readonly nodes: readonly IrNode[];
  readonly result: IrResult;
  /** Leaves whose gradient the traced call wrote: an outside tensor, or argument `argIndex`. */
  readonly leaves: readonly { readonly id: number; readonly tensor: Tensor | null; readonly argIndex: number }[];
  /**
   * What a replay needs to find as the trace found it: whether each leaf's `.grad` was null when the
   * backward pass reached it, for leaves the function did not clear itself first (eager accumulates
   * into a gradient left there; the plan must do the same, or be traced again).
   */
  readonly gradGuards: readonly GradGuard[];
}

/** A leaf's gradient state a plan depends on. */
export interface GradGuard {
  readonly tensor: Tensor | null;
  readonly argIndex: number;
  readonly wasNull: boolean;
}

interface ExternalInfo {
  readonly tensor: Tensor;
  readonly version: number;
  readonly snapshot: FloatArray;
  isChangedByTrace: boolean;
}

/** Records one eager run of a function. */
export class Tracer implements TraceHooks {
  readonly values: IrValue[] = [];
  readonly nodes: IrNode[] = [];
  /** The tensor each value stands for during the trace. */
  private readonly tensors: Tensor[] = [];
  private readonly byTensor = new Map<Tensor, number>();
  private readonly byBuffer = new Map<FloatArray, number>();
  private readonly externals = new Map<number, ExternalInfo>();
  /** Values produced by differentiable ops (recording on and an input requiring grad). */
  private readonly differentiable = new Set<number>();
  /** Reads of traced values, with how many nodes had been traced when they happened. */
  private readonly reads: { id: number; at: number; value: number | undefined }[] = [];
  /** Leaves whose `.grad` the function has written or a traced backward has reached, in this trace. */
  private readonly gradTouched = new Set<Tensor>();
  private readonly gradGuards: GradGuard[] = [];
  private isAssigningGrad = false;
  private readonly gradLeaves: { id: number; tensor: Tensor | null; argIndex: number }[] = [];

  /** The `Value` half of the trace (a compiled function uses one lane). */
  readonly scalar: ScalarTracer;

  constructor(args: readonly Tensor[], scalarArgs: readonly Value[]) {
    args.forEach((t, index) => this.addValue(t, { kind: 'arg', index }));
    this.scalar = new ScalarTracer(scalarArgs);
  }

  /** Whether the function made tensor ops (as opposed to only `Value` ops). */
  get hasTensorOps(): boolean {
    return this.nodes.length > 0;
  }

  onScalarOp(op: OpDef): void {
    this.scalar.onScalarOp(op);
  }
  onScalarOperands(a: Value | number, b: Value | number): void {
    this.scalar.onScalarOperands(a, b);
  }
  onScalarValue(v: Value): void {
    this.scalar.onScalarValue(v);
  }
  onScalarBackward(root: Value, seed: number): void {
    this.scalar.onScalarBackward(root, seed);
  }
  onScalarGradWrite(v: Value, g: number): void {
    this.scalar.onScalarGradWrite(v, g);
  }

  private addValue(t: Tensor, source: ValueSource): number {
    const id = this.values.length;
    this.values.push({ id, shape: [...t.shape], dtype: t.dtype, size: t.size, source });
    this.tensors.push(t);
    this.byTensor.set(t, id);
    if (source.kind !== 'alias' && !this.byBuffer.has(t.data)) this.byBuffer.set(t.data, id);
    return id;
  }

  /** The IR value of a tensor, registering tensors made outside the traced ops as constants (or aliases). */
  idOf(t: Tensor): number {
    const known = this.byTensor.get(t);
    if (known !== undefined) return known;
    const base = this.byBuffer.get(t.data);
    // A tensor sharing storage with a traced one (detach, an unrecorded relabelling) is that value, reshaped.
    if (base !== undefined && this.values[base]!.size === t.size) return this.addValue(t, { kind: 'alias', of: base });
    const id = this.addValue(t, { kind: 'external', tensor: t });
    this.externals.set(id, { tensor: t, version: t.version, snapshot: t.data.slice(), isChangedByTrace: false });
    return id;
  }

  tensorOf(id: number): Tensor {
    return this.tensors[id]!;
  }

  onOp(op: OpDef, inputs: readonly Tensor[], output: Tensor, attrs: unknown): void {
    if (state.isAnomalyMode) {
      throw new CompileError(`compile: '${op.name}' ran under detectAnomaly, whose checks are not compiled; run the function eagerly to debug it`);
    }
    const ids = inputs.map((x) => this.idOf(x));
    const node = this.nodes.length;
    const out = this.addValue(output, { kind: 'op', node });
    // The same condition under which `record` puts a node on the tape.
    if (state.isRecording && op.isNondifferentiable !== true && inputs.some((x) => x.requiresGrad)) this.differentiable.add(out);
    const attrTensors: (readonly [string, number])[] = [];
    if (attrs !== null && typeof attrs === 'object') {
      for (const [key, v] of Object.entries(attrs)) if (v instanceof Tensor) attrTensors.push([key, this.idOf(v)] as const);
    }
    this.nodes.push({ kind: 'op', op, inputs: ids, output: out, attrs, attrTensors });
  }

  onInPlace(name: string, a: Tensor, b: Tensor | number, f: (x: number, y: number) => number): void {
    const target = this.idOf(a);
    const ext = this.externals.get(target);
    if (ext !== undefined) ext.isChangedByTrace = true;
    const operand = typeof b === 'number' ? { constant: b } : this.idOf(b);
    this.nodes.push({ kind: 'inplace', name, target, operand, f });
  }

  onGradWrite(t: Tensor, g: Tensor | null): void {
    if (this.isAssigningGrad) return;
    if (g !== null) {
      throw new CompileError(
        `compile: the function assigned a tensor to .grad of a tensor of shape ${fmt(t.shape)}, which is not compiled; ` +
          'set .grad to null (or leave it to backward), or do it outside the compiled function',
      );
    }
    this.gradTouched.add(t);
    this.nodes.push({ kind: 'clearGrad', leaf: this.idOf(t) });
  }

  onRead(t: Tensor): void {
    const id = this.byTensor.get(t) ?? this.byBuffer.get(t.data);
    if (id === undefined || this.externals.has(id)) return;
    this.reads.push({ id, at: this.nodes.length, value: t.size === 1 ? t.data[0] : undefined });
  }

  /**
   * The backward pass of the traced function, run over the trace itself with the ops' differentiable
   * rules, so every gradient computation is traced too. It mirrors the engine: rules in reverse order,
   * broadcasting undone by `sumToShape`, gradients added, leaves' `.grad` accumulated.
   */
  onGrads(
    roots: readonly Tensor[],
    seeds: readonly Tensor[] | undefined,
    opts: { readonly inputs?: readonly Tensor[]; readonly createGraph?: boolean; readonly retainGraph?: boolean },
  ): (Tensor | null)[] {
    if (opts.inputs !== undefined || opts.createGraph === true) {
      throw new CompileError('compile: grad, vjp and createGraph inside a compiled function are not compiled yet; call backward(), or run the function eagerly');
    }
    const grads = new Map<number, Tensor>();
    const reached: TapeNode[] = [];
    const tracer = this;
    withRecording(false, () => {
      roots.forEach((r, k) => {
        if (!r.requiresGrad) {
          throw new GradError(`backward: the tensor of shape ${fmt(r.shape)} does not require grad (no input of its graph has requiresGrad)`);
        }
        let seed = seeds?.[k];
        if (seed === undefined) {
          if (r.size !== 1) throw new GradError(`backward: a seed gradient is needed for a non-scalar output, got shape ${fmt(r.shape)}`);
          seed = ones(r.shape, { dtype: r.dtype });
        }
        tracer.accumulate(grads, tracer.idOf(r), seed);
      });
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i]!;
        if (node.kind !== 'op' || !this.differentiable.has(node.output)) continue;
        const dy = grads.get(node.output);
        if (dy === undefined) continue;
        const out = this.tensors[node.output]!;
        if (out.hooks !== null && out.hooks.length > 0) throw new CompileError(`compile: a gradient hook on the output of '${node.op.name}' is not compiled; run the function eagerly`);
        if (out.isRetainingGrad) throw new CompileError(`compile: retainGrad() on the output of '${node.op.name}' is not compiled; return the tensor and differentiate it eagerly`);
        const rule = node.op.backward;
        if (rule === undefined) throw new GradError(`backward: no backward rule for op '${node.op.name}'`);
        if (out.node !== null && out.node.isReleased) throw releasedError(out.node);
        const inputs = node.inputs.map((id) => this.tensors[id]!);
        const gs = rule({ inputs, output: out, dy, attrs: node.attrs });
        // As the engine does: the eager graph the tracing call recorded is released by its backward pass.
        if (opts.retainGraph !== true && out.node !== null) reached.push(out.node);
        inputs.forEach((x, k) => {
          const g = gs[k];
          if (g === null || g === undefined || !x.requiresGrad) return;
          this.accumulate(grads, node.inputs[k]!, sumToShape(g, x.shape));
        });
      }
    });
    for (const node of reached) releaseNode(node);
    // Leaves (arguments and outside tensors that require grad, made by no op) take their gradients.
    for (const [id, g] of grads) {
      const v = this.values[id]!;
      const t = this.tensors[id]!;
      const isLeaf = v.source.kind === 'arg' || v.source.kind === 'external';
      if (!isLeaf || !t.requiresGrad || t.node !== null) continue;
      if (t.hooks !== null && t.hooks.length > 0) throw new CompileError(`compile: a gradient hook on a leaf of shape ${fmt(t.shape)} is not compiled; run the function eagerly`);
      const gid = this.idOf(g);
      const isAccumulating = t.grad !== null;
      const argIndex = v.source.kind === 'arg' ? v.source.index : -1;
      if (!this.gradTouched.has(t)) {
        this.gradTouched.add(t);
        this.gradGuards.push({ tensor: argIndex >= 0 ? null : t, argIndex, wasNull: !isAccumulating });
      }
      this.isAssigningGrad = true;
      try {
        if (isAccumulating) {
          if (!sameShape(t.grad!.shape, t.shape)) throw new CompileError(`compile: the .grad of a leaf of shape ${fmt(t.shape)} has shape ${fmt(t.grad!.shape)}`);
          accumulateInto(t.grad!.data, g.data);
          t.grad!.bumpVersion();
        } else {
          t.grad = Tensor.fromData(g.data.slice(), t.shape, t.dtype);
        }
      } finally {
        this.isAssigningGrad = false;
      }
      // Ops that read the leaf's .grad afterwards (an optimizer step) read the plan's gradient storage.
      const node = this.nodes.length;
      const result = this.addValue(t.grad!, { kind: 'grad', node });
      this.byTensor.set(t.grad!, result);
      this.byBuffer.set(t.grad!.data, result);
      this.nodes.push({ kind: 'setGrad', leaf: id, grad: gid, isAccumulating, result });
      if (!this.gradLeaves.some((l) => l.id === id)) this.gradLeaves.push({ id, tensor: argIndex >= 0 ? null : t, argIndex });
    }
    return [];
  }

  private accumulate(grads: Map<number, Tensor>, id: number, g: Tensor): void {
    const prev = grads.get(id);
    grads.set(id, prev === undefined ? g : add(prev, g));
  }

  /** Checks the finished trace and describes its result. */
  finish(result: unknown): Trace {
    const last = this.nodes.length;
    const early = this.reads.find((r) => r.at < last);
    if (early !== undefined) {
      const t = this.tensors[early.id]!;
      throw new CompileError(
        `compile: the function read the values of a traced tensor of shape ${fmt(t.shape)} (item, toArray or toString) ` +
          'before its last operation, so it may branch on tensor values, which a replay would not see; ' +
          'read values only at the end (return the tensor and read it after the call), or pass { static: false } to run it eagerly',
      );
    }
    for (const [id, ext] of this.externals) {
      if (ext.isChangedByTrace) continue;
      const t = ext.tensor;
      if (t.version !== ext.version || t.data.length !== ext.snapshot.length || !sameBits(t.data, ext.snapshot)) {
        throw new CompileError(
          `compile: the function changed a tensor of shape ${fmt(t.shape)} in place without a traced in-place op ` +
            '(for example by writing .data, as a hand-written optimizer does); use addInPlace/subInPlace/addScaledInPlace/copyInPlace, ' +
            'or make the update outside the compiled function',
        );
      }
    }
    return {
      values: this.values,
      nodes: this.nodes,
      result: this.describe(result, 0),
      leaves: this.gradLeaves,
      gradGuards: this.gradGuards,
    };
  }

  private describe(r: unknown, depth: number): IrResult {
    if (r === undefined) return { kind: 'none' };
    if (r instanceof Tensor) return { kind: 'tensor', id: this.idOf(r) };
    if (typeof r === 'number') {
      const read = this.reads.at(-1);
      if (read !== undefined && Object.is(read.value, r)) return { kind: 'item', id: read.id };
      return { kind: 'constant', value: r };
    }
    if (typeof r === 'string' || typeof r === 'boolean' || r === null) return { kind: 'constant', value: r };
    if (depth < 2 && Array.isArray(r)) return { kind: 'array', items: r.map((x) => this.describe(x, depth + 1)) };
    if (depth < 2 && typeof r === 'object' && Object.getPrototypeOf(r) === Object.prototype) {
      return { kind: 'object', entries: Object.entries(r as Record<string, unknown>).map(([k, x]) => [k, this.describe(x, depth + 1)] as const) };
    }
    throw new CompileError('compile: a compiled function may return tensors, numbers read with item() at its end, or arrays and plain objects of them');
  }
}

function accumulateInto(acc: FloatArray, g: FloatArray): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + g[i]!;
}

function sameBits(a: FloatArray, b: FloatArray): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
