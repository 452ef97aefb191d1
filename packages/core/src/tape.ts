import type { OpDef } from './ops/define.ts';
import type { Tensor } from './tensor.ts';

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

/** Global recording state shared by the scalar and tensor lanes. @internal */
export const state: { isRecording: boolean; isAnomalyMode: boolean; nextId: number; scope: Scope | null } = {
  isRecording: true,
  isAnomalyMode: false,
  nextId: 1,
  scope: null,
};

/** The tensor lane of the tape, in creation order. @internal */
export const tensorTape: TapeNode[] = [];

/**
 * Runs `fn` without recording anything on the tape (as PyTorch's `torch.no_grad()`).
 * Nests with {@link enableGrad}; the previous state is restored even when `fn` throws.
 * @param fn The code to run.
 * @returns What `fn` returns.
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
  return withRecording(false, fn);
}

/**
 * Runs `fn` with recording switched on, even inside {@link noGrad}.
 * @param fn The code to run.
 * @returns What `fn` returns.
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
  return withRecording(true, fn);
}

/** Runs `fn` with recording set to `on`, restoring the previous setting afterwards. @internal */
export function withRecording<T>(on: boolean, fn: () => T): T {
  const prev = state.isRecording;
  state.isRecording = on;
  try {
    return fn();
  } finally {
    state.isRecording = prev;
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
  state.scope = { id: state.nextId++, name, parent, depth: parent === null ? 1 : parent.depth + 1 };
  try {
    return fn();
  } finally {
    state.scope = parent;
  }
}

/** Appends a node to the tensor lane. @internal */
export function pushNode(node: TapeNode): void {
  tensorTape.push(node);
}

/** Removes released nodes from the tensor lane, keeping creation order. @internal */
export function compactTensorTape(): void {
  let j = 0;
  for (let i = 0; i < tensorTape.length; i++) {
    const node = tensorTape[i]!;
    if (!node.isReleased) tensorTape[j++] = node;
  }
  tensorTape.length = j;
}

/** Finds the position of the node with the given id (ids increase along the tape). @internal */
export function nodePosition(id: number): number {
  let lo = 0;
  let hi = tensorTape.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const m = tensorTape[mid]!.id;
    if (m === id) return mid;
    if (m < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * How many recorded nodes the tensor lane of the tape holds right now. Backward releases the nodes
 * it ran through, so between training steps this is 0; a failing op adds nothing.
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
  return tensorTape.length;
}
