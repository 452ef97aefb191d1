// The tensor tape: TapeNode and OpDef, the recording flags (noGrad, withScope), per-root node lists and live-node counting.
import type { Value } from './value.ts';
import { sharedGradMode } from '../base/brand.ts';
import type { FloatArray } from '../base/dtype.ts';
import { ArgumentError } from '../base/errors.ts';
import type { Tensor } from './tensor.ts';
import type { Shape } from '../base/shape.ts';

/**
 * One recorded tensor operation: a row of the Wengert list.
 * @category Autograd
 */
export interface TapeNode {
  /** Creation sequence number; the tape is sorted by it, which is a topological order. */
  readonly id: number;
  /** The op whose backward rule this node runs. */
  readonly op: OpDef;
  /** The op's tensor inputs, in argument order. */
  readonly inputs: readonly Tensor[];
  /** The tensor the op produced. */
  readonly output: Tensor;
  /** Non-tensor arguments (axes, flags) the backward rule needs. */
  readonly attrs: unknown;
  /** Versions of the inputs when recorded; a rule refuses inputs modified in place since. */
  readonly inputVersions: readonly number[];
  /** Version of the output when recorded; rules that reuse the output (exp, sigmoid) refuse it changed since. */
  readonly outputVersion?: number;
  /** Set once backward has run through this node without `retainGraph`. */
  isReleased: boolean;
  /** Where the op was called from, captured only in anomaly mode. */
  stack: string | undefined;
  /** The innermost {@link withScope} the op ran in (a module call, say), or null. */
  readonly scope: Scope | null;
  /** @internal Whether the node still counts in {@link tapeLength}. */
  isCounted?: boolean;
  /** @internal The registration the node shares with the nodes recorded next to it (see `pushNode`). */
  batch?: NodeBatch;
  /** @internal The stamp of the last {@link tapeOf} walk that reached this node. */
  mark?: number;
}

/**
 * One call of {@link withScope}: a labelled region of the tape, such as one forward call of a module.
 * Graph drawers use it to collapse the region's ops into one box.
 * @category Autograd
 */
export interface Scope {
  /** Unique per call, so two calls of the same module stay two boxes. */
  readonly id: number;
  /** The label, e.g. `Linear`. */
  readonly name: string;
  /** The enclosing scope, or null at the top. */
  readonly parent: Scope | null;
  /** Nesting depth: 1 for a top-level scope. */
  readonly depth: number;
}

/**
 * What `compile` listens to while it traces a function: every op applied (recorded or not), every
 * backward pass asked for, every traced in-place update and every read of a tensor's values. Null
 * outside a trace, so eager code pays one null test per op.
 * @internal
 */
export interface TraceHooks {
  /** An op produced `output` from `inputs` (called by `record`, before anything is recorded). */
  onOp(op: OpDef, inputs: readonly Tensor[], output: Tensor, attrs: unknown): void;
  /** A backward pass (`backward`, `grad`, `vjp`) was asked for; the tracer runs it itself. */
  onGrads(roots: readonly Tensor[], seeds: readonly Tensor[] | undefined, opts: { readonly inputs?: readonly Tensor[]; readonly createGraph?: boolean; readonly retainGraph?: boolean }): (Tensor | null)[];
  /** An in-place update `a ← f(a, b)` (b broadcast to a's shape) is about to run. */
  onInPlace(name: string, a: Tensor, b: Tensor | number, f: (x: number, y: number) => number): void;
  /** User code read a tensor's values (`item`, `toArray`, `toString`). */
  onRead(t: Tensor): void;
  /** Something assigned `t.grad`. */
  onGradWrite(t: Tensor, g: Tensor | null): void;
  /** A `Value` op starts (its operands' data is read next). */
  onScalarOp(op: OpDef): void;
  /** The operands of the `Value` op under way. */
  onScalarOperands(a: Value | number, b: Value | number): void;
  /** A `Value` was made: the output of the op under way, or a new leaf. */
  onScalarValue(v: Value): void;
  /** `Value.backward` was called (it still runs eagerly). */
  onScalarBackward(root: Value, seed: number): void;
  /** Something assigned a `Value`'s `.grad`. */
  onScalarGradWrite(v: Value, g: number): void;
}

/** Global recording state shared by the scalar and tensor lanes. @internal */
export const state: { readonly isRecording: boolean; isAnomalyMode: boolean; nextId: number; scope: Scope | null; tracer: TraceHooks | null } = {
  // Written only through `setRecording`, which also writes every other copy of the library in the process
  // (see base/brand.ts); a plain field, since every recorded op reads it.
  isRecording: true,
  isAnomalyMode: false,
  nextId: 1,
  scope: null,
  tracer: null,
};
const setRecording = sharedGradMode(state as { isRecording: boolean });

/**
 * The tensor lane holds no global list of nodes: each tensor points to the node that made it, and a
 * backward pass gathers the nodes that lead to its root ({@link tapeOf}) and walks them in creation
 * order. So a graph nobody backpropagates through (an evaluation outside `noGrad`, the input of a
 * `detach`) is garbage collected with its tensors instead of staying on the tape forever.
 * `liveNodes` counts nodes recorded and neither released by a backward pass nor collected.
 */
let liveNodes = 0;
let walkStamp = 0;

/**
 * Up to `BATCH_SIZE` nodes recorded one after another share one garbage-collection registration: each
 * node points to the batch's token, so the token is collected once all of them are, and the registry
 * then subtracts what of the batch was still counted. One registration per node would cost ~130 bytes
 * each, and in a synchronous loop (where finalization callbacks never get to run) forward-only graphs
 * would pile them up without bound (+78 MB per 600k nodes); per batch it is 1/256 of that.
 * @internal
 */
export interface NodeBatch {
  /** What the registry reads: counted nodes of the batch. Holds no reference to the token. */
  readonly record: { live: number; size: number; isClosed: boolean };
}
const BATCH_SIZE = 256;
let openBatch: NodeBatch | null = null;
const collected = new FinalizationRegistry<NodeBatch['record']>((record) => {
  liveNodes -= record.live;
  record.live = 0;
});

/** Stops counting one node; a closed batch with nothing left to count leaves the registry at once. */
function uncount(node: TapeNode): void {
  if (node.isCounted !== true) return;
  node.isCounted = false;
  liveNodes--;
  const record = node.batch!.record;
  record.live--;
  if (record.live === 0 && record.isClosed) collected.unregister(record);
}

/** Closes the open batch (no more nodes join it), so it can be collected once its nodes are. */
function closeBatch(): void {
  if (openBatch === null) return;
  const record = openBatch.record;
  record.isClosed = true;
  if (record.live === 0) collected.unregister(record);
  openBatch = null;
}

/**
 * One frame on the stack of transform frames (as JAX's trace context): a functional transform call, or
 * a gradgradcheck. Nodes recorded while any frame is open are listed in {@link frames} in creation
 * order, so each frame can release what it recorded (ids ≥ its `entryId`) when it returns.
 * @internal
 */
export interface TransformFrame {
  /** The enclosing frame, or null. */
  readonly parent: TransformFrame | null;
  /** Tensors and nodes created during the call have ids ≥ this. */
  readonly entryId: number;
  /** An enclosing transform differentiates through this call: its results stay on the tape. */
  readonly isTracing: boolean;
  /** How many transform frames are open, this one included (a gradgradcheck frame does not count). */
  readonly transforms: number;
}

/** The open transform frames (innermost on top) and the nodes recorded while any is open. @internal */
export const frames: { top: TransformFrame | null; nodes: TapeNode[] } = { top: null, nodes: [] };

/**
 * Runs `fn` in a new transform frame. A transform call nested in another while recording is tracing.
 * The node list is emptied when the outermost frame returns.
 * @internal
 */
export function withFrame<T>(isTransform: boolean, fn: (frame: TransformFrame) => T): T {
  const parent = frames.top;
  const outer = parent === null ? 0 : parent.transforms;
  const frame: TransformFrame = { parent, entryId: state.nextId, isTracing: isTransform && outer > 0 && state.isRecording, transforms: outer + (isTransform ? 1 : 0) };
  frames.top = frame;
  try {
    return fn(frame);
  } finally {
    frames.top = parent;
    if (parent === null) frames.nodes.length = 0;
  }
}

/**
 * The settings `noGrad`, `enableGrad`, `withScope` and `detectAnomaly` apply are global and restored when
 * `fn` returns. An async `fn` returns at its first `await`, so the rest of it would run with the setting
 * already undone (ops recorded under `noGrad`, anomaly checks skipped): never silently half-applied,
 * such a callback is refused. An `async` function is refused before it runs; any other callback that
 * returns a promise (a thenable) is refused when it returns, its promise's rejection marked handled.
 * @internal
 */
export function runSync<T>(op: string, fn: () => T, apply: () => void, restore: () => void): T {
  if (typeof fn !== 'function') throw new ArgumentError(`${op}: fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const tag = Object.prototype.toString.call(fn);
  if (tag === '[object AsyncFunction]' || tag === '[object AsyncGeneratorFunction]') throw asyncError(op, 'an async function');
  apply();
  let r: T;
  try {
    r = fn();
  } finally {
    restore();
  }
  if (isThenable(r)) {
    // The caller gets the error instead of the promise, so nobody would handle its rejection.
    (r as PromiseLike<unknown>).then(undefined, () => undefined);
    throw asyncError(op, 'a function that returned a Promise');
  }
  return r;
}

function isThenable(r: unknown): boolean {
  return (typeof r === 'object' || typeof r === 'function') && r !== null && typeof (r as { then?: unknown }).then === 'function';
}

function asyncError(op: string, got: string): ArgumentError {
  return new ArgumentError(
    `${op}: fn must be synchronous, got ${got}; the setting would stop applying at its first await. ` +
      `Wrap the synchronous parts instead, e.g. const y = ${op}(() => f(x)); await …`,
  );
}

/**
 * Runs `fn` without recording anything on the tape (as PyTorch's `torch.no_grad()`).
 * Nests with {@link enableGrad}; the previous state is restored even when `fn` throws.
 * @param fn The code to run.
 * @returns What `fn` returns.
 * @throws {@link ArgumentError} for an async `fn` (or one returning a promise): the setting would stop applying at its first `await`.
 * @example
 * ```ts
 * import { noGrad, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2));
 * console.log(y.requiresGrad); // false
 * ```
 * @category Autograd
 */
export function noGrad<T>(fn: () => T): T {
  const prev = state.isRecording;
  return runSync('noGrad', fn, () => setRecording(false), () => setRecording(prev));
}

/**
 * Runs `fn` with recording switched on, even inside {@link noGrad}.
 * @param fn The code to run.
 * @returns What `fn` returns.
 * @throws {@link ArgumentError} for an async `fn` (or one returning a promise): the setting would stop applying at its first `await`.
 * @example
 * ```ts
 * import { enableGrad, noGrad, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const y = noGrad(() => enableGrad(() => w.mul(2)));
 * console.log(y.requiresGrad); // true
 * ```
 * @category Autograd
 */
export function enableGrad<T>(fn: () => T): T {
  const prev = state.isRecording;
  return runSync('enableGrad', fn, () => setRecording(true), () => setRecording(prev));
}

/** Runs `fn` with recording set to `on`, restoring the previous setting afterwards. @internal */
export function withRecording<T>(on: boolean, fn: () => T): T {
  const prev = state.isRecording;
  setRecording(on);
  try {
    return fn();
  } finally {
    setRecording(prev);
  }
}

/**
 * Whether operations are being recorded right now.
 * @returns `false` inside {@link noGrad}.
 * @example
 * ```ts
 * import { isGradEnabled, noGrad } from '@tapegrad/core';
 * console.log(isGradEnabled(), noGrad(() => isGradEnabled())); // true false
 * ```
 * @category Autograd
 */
export function isGradEnabled(): boolean {
  return state.isRecording;
}

/**
 * Runs `fn` inside a named scope: every op it records carries the scope (`node.scope`), so a graph
 * drawing can show a module's ops as one box (`Linear` instead of matmul + add). Scopes nest and cost
 * nothing when no graph is drawn.
 * @param name The label, e.g. the module's class name.
 * @param fn The code to run.
 * @returns What `fn` returns.
 * @throws {@link ArgumentError} for an async `fn` (or one returning a promise): the setting would stop applying at its first `await`.
 * @example
 * ```ts
 * import { tensor, withScope } from '@tapegrad/core';
 * const w = tensor([[1, 2]], { requiresGrad: true });
 * const y = withScope('Linear', () => w.matmul(tensor([[3], [4]])).add(1));
 * console.log(y.node!.scope!.name); // Linear
 * ```
 * @category Autograd
 */
export function withScope<T>(name: string, fn: () => T): T {
  const parent = state.scope;
  return runSync(
    'withScope',
    fn,
    () => void (state.scope = { id: state.nextId++, name, parent, depth: parent === null ? 1 : parent.depth + 1 }),
    () => void (state.scope = parent),
  );
}

/** Counts a freshly recorded node as live (and lists it while a transform frame is open). @internal */
export function pushNode(node: TapeNode): void {
  liveNodes++;
  let batch = openBatch;
  if (batch === null || batch.record.size === BATCH_SIZE) {
    closeBatch();
    batch = openBatch = { record: { live: 0, size: 0, isClosed: false } };
    collected.register(batch, batch.record, batch.record);
  }
  batch.record.live++;
  batch.record.size++;
  node.batch = batch;
  node.isCounted = true;
  if (frames.top !== null) frames.nodes.push(node);
}

/** Releases a node: backward will refuse to run through it again, and it keeps no inputs alive. @internal */
export function releaseNode(node: TapeNode): void {
  if (node.isReleased) return;
  node.isReleased = true;
  (node as { inputs: readonly Tensor[] }).inputs = [];
  uncount(node);
}

/**
 * Stops counting a node as live without releasing it: for a graph a transform keeps privately (a
 * `vjp` pullback owns its forward graph, which lives exactly as long as the pullback).
 * @internal
 */
export function uncountNode(node: TapeNode): void {
  uncount(node);
}

/**
 * The tape a backward pass from `roots` walks: every recorded node that leads to one of them, in
 * creation order (ids increase, so this is a topological order). Gathered with a worklist, never
 * recursion, so a chain of millions of ops is fine. Released nodes are included, so the engine
 * can refuse them with a clear error.
 * @internal
 */
export function tapeOf(roots: readonly Tensor[]): TapeNode[] {
  // A fresh stamp marks the nodes seen by this walk (cheaper than a Set on graphs of millions of ops).
  const mark = ++walkStamp;
  const found: TapeNode[] = [];
  for (const r of roots) {
    if (r.node !== null && r.node.mark !== mark) {
      r.node.mark = mark;
      found.push(r.node);
    }
  }
  for (let i = 0; i < found.length; i++) {
    for (const x of found[i]!.inputs) {
      const n = x.node;
      if (n !== null && n.mark !== mark) {
        n.mark = mark;
        found.push(n);
      }
    }
  }
  return found.sort((a, b) => a.id - b.id);
}

/**
 * How many recorded tensor nodes are live: recorded, not yet released by a backward pass, and not yet
 * garbage collected. Backward releases the nodes it ran through, so between training steps this is 0;
 * a failing op adds nothing. A graph you drop without backward is collected by the JavaScript garbage
 * collector and leaves this count some time after.
 * @returns The number of live nodes.
 * @example
 * ```ts
 * import { tapeLength, tensor } from '@tapegrad/core';
 * const x = tensor([1, 2], { requiresGrad: true });
 * const before = tapeLength();
 * x.mul(x).sum().backward();
 * console.log(tapeLength() - before); // 0
 * ```
 * @category Autograd
 */
export function tapeLength(): number {
  // The open batch is held here until it fills; closing it lets a dropped graph's last nodes be collected.
  closeBatch();
  return liveNodes;
}

/** What a backward rule receives. @category Autograd */
export interface BackwardContext<A = unknown> {
  /** The op's tensor inputs. */
  readonly inputs: readonly Tensor[];
  /** The op's output. */
  readonly output: Tensor;
  /** ∂L/∂output, in the output's shape. */
  readonly dy: Tensor;
  /** The op's non-tensor arguments. */
  readonly attrs: A;
}

/** A backward rule: one gradient per input, in the output's shape or the input's; `null` for none. @category Autograd */
export type BackwardRule<A = unknown> = (ctx: BackwardContext<A>) => readonly (Tensor | null)[];

/**
 * An op as the engine sees it: its name, its derivation (shown by the chain-rule trace) and its VJP.
 * @category Autograd
 */
export interface OpDef<A = unknown> {
  /** The op's one name: file, function, registry key and graph label. */
  readonly name: string;
  /** The derivation of the backward rule, e.g. `y = tanh(x), dy/dx = 1 − y² ⇒ dx = dy·(1 − y²)`. */
  readonly rule: string;
  /** Ops without a gradient (comparisons, argmax) record nothing. */
  readonly isNondifferentiable?: boolean;
  /** The VJP written with public ops, so it can itself be differentiated. */
  readonly backward?: BackwardRule<A>;
  /** Optional raw-kernel form of the same VJP, used when `createGraph` is off. */
  readonly rawBackward?: BackwardRule<A>;
  /** The forward again, for `compile`'s replay of a traced call (ops without one are refused by `compile`). */
  readonly replay?: ReplayRule<A>;
}

/**
 * An op's forward computed again from what was recorded: its inputs, its attributes (an attribute tensor
 * holds its current value, such as labels passed as an argument) and the output shape the trace saw.
 * An op whose backward reads tensors its forward made (an argmax, a dropout mask, a spread index)
 * returns those attributes too; the replay writes them into the storage the traced backward reads.
 * @category Autograd
 */
export type ReplayRule<A = unknown> = (
  inputs: readonly Tensor[],
  attrs: A,
  outShape: Shape,
) => Tensor | ReplayResult;

/** What a {@link ReplayRule} returns when its forward also made tensors the backward reads. @category Autograd */
export interface ReplayResult {
  /** The op's output. */
  readonly output: Tensor;
  /** The attributes made with it, in the shape the op records them (an argmax, a mask, …). */
  readonly attrs: unknown;
}
