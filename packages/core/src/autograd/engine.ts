// The backward engine: one walk over the tape in reverse, running each node's rule and handing the gradients to the slot table.
import { runCheckedRule } from '../graph/anomaly.ts';
import { GradError } from '../base/errors.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { donate, lend } from '../graph/grad-pool.ts';
import { releaseNode, state, tapeOf, withRecording, type TapeNode } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';
import { checkGradShape, checkVersions, releasedError, seedFor } from './checks.ts';
import { copyOf, GradSlots } from './grad-slots.ts';

/** Options of a tensor backward pass. @category Autograd */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default false, or true with `createGraph`). */
  readonly retainGraph?: boolean;
  /** Record the backward pass, so the gradients are themselves differentiable (default false). */
  readonly createGraph?: boolean;
}

/**
 * What the walk reports for each node whose rule it runs: the node, the complete gradient of its output
 * (after hooks), and what it sent to each input (summed back to the input's shape; null for none).
 * @internal
 */
export interface WalkStep {
  /** The node whose rule ran. */
  readonly node: TapeNode;
  /** ∂L/∂output, complete. */
  readonly dy: Tensor;
  /** Per input, the gradient sent to it. */
  readonly sent: readonly (Tensor | null)[];
}

/** Options of {@link computeGrads}. @internal */
export interface GradOptions extends BackwardOptions {
  /** Tensors whose gradient is wanted; when absent, leaf gradients accumulate into `.grad`. */
  readonly inputs?: readonly Tensor[];
  /** Called after each rule with what it received and sent (explain's trace); an observed pass recycles nothing. */
  readonly observe?: (step: WalkStep) => void;
}

/**
 * Backpropagates from `root` and accumulates into `.grad` of every leaf it depends on.
 * @param root The tensor to differentiate; one element unless `seed` is given.
 * @param seed ∂L/∂root, of root's shape; ones when absent.
 * @param opts `retainGraph`, `createGraph`.
 * @throws {@link GradError} when root does not require grad, is not a scalar and has no seed, or its graph was released.
 * @example
 * ```ts
 * import { backward, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2, 3], { requiresGrad: true });
 * backward(w.mul(w).sum());
 * console.log(w.grad!.toArray()); // [2, 4, 6]
 * ```
 * @category Autograd
 */
export function backward(root: Tensor, seed?: Tensor, opts: BackwardOptions = {}): void {
  computeGrads([root], seed === undefined ? undefined : [seed], opts);
}

/**
 * Runs `t`'s hooks on its gradient. The first hook gets a private copy (recorded with `createGraph`):
 * the gradient's storage may also be another tensor's gradient (add passes dy to both inputs), and a
 * hook that edits its argument in place must change only its own tensor's gradient.
 */
function applyHooks(t: Tensor, g: Tensor, createGraph: boolean): Tensor {
  if (t.hooks === null || t.hooks.length === 0) return g;
  g = createGraph ? g.clone() : copyOf(g);
  for (const hook of [...t.hooks]) {
    const r = hook(g);
    if (r !== undefined) {
      if (!(r instanceof Tensor) || !sameShape(r.shape, g.shape)) {
        throw new GradError(`hook: a gradient hook must return a tensor of shape ${fmt(g.shape)} or nothing`);
      }
      g = r;
    }
  }
  return g;
}

/**
 * The engine: walks the tensor lane of the tape in reverse with a loop (never recursion), runs each
 * reached node's rule, and hands what it returns to the {@link GradSlots}, which accumulate (never
 * overwrite) and own the storage. With `inputs`, returns their gradients (null where the output does
 * not depend on them) instead of touching `.grad`. Hooks, version checks, anomaly mode and the
 * `observe` trace all happen in this one walk.
 * @internal
 */
export function computeGrads(roots: readonly Tensor[], seeds: readonly Tensor[] | undefined, opts: GradOptions = {}): (Tensor | null)[] {
  // Inside a `compile` trace the tracer differentiates its own record of the function.
  if (state.tracer !== null) return state.tracer.onGrads(roots, seeds, opts);
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const observe = opts.observe;
  // The part of the tape that leads to the roots, in creation order (a topological order).
  const tape = tapeOf(roots);
  // Every check comes before any gradient is written, so a failing call changes nothing.
  const rootSeeds = roots.map((r, k) => seedFor(r, seeds?.[k]));
  const slots = new GradSlots(!createGraph && observe === undefined);
  const leaves = new Map<number, Tensor>();
  roots.forEach((r, k) => {
    if (r.node === null) leaves.set(r.id, r);
    else if (r.node.isReleased) throw releasedError(r.node);
    slots.seed(r, rootSeeds[k]!);
  });
  const wanted = opts.inputs === undefined ? null : new Set(opts.inputs.map((x) => x.id));
  const path = wanted === null ? null : pathTo(tape, wanted);
  const visited: TapeNode[] = [];
  const retained: [Tensor, Tensor][] = [];
  withRecording(createGraph, () => {
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i]!;
      const out = node.output;
      const slot = slots.get(out);
      if (slot === undefined || (path !== null && !path.leads.has(out.id))) continue;
      if (node.isReleased) throw releasedError(node);
      const isWanted = wanted !== null && wanted.has(out.id);
      const isRaw = !createGraph && node.op.rawBackward !== undefined;
      // retainGrad sees dy, a wanted gradient goes back to the caller, and a rule that is not a raw
      // kernel (a custom op's, say) may keep ctx.dy: none of these is ever recycled.
      const dy = slots.take(out, slot, applyHooks(out, slot, createGraph), isWanted || out.isRetainingGrad || !isRaw, isWanted);
      if (out.isRetainingGrad) retained.push([out, dy]);
      if (path !== null && !path.runs.has(node.id)) {
        slots.release(dy);
        continue;
      }
      visited.push(node);
      const gs = runRule(node, dy, isRaw, slots.isSole(dy), slots.isRecycling);
      slots.adopt(node.inputs, gs);
      slots.release(dy);
      const sent = node.inputs.map((x, k) => {
        const g = gs[k];
        if (g === null || g === undefined || !x.requiresGrad) return null;
        checkGradShape(node, k, g);
        // Reaching a tensor whose producer was released would silently drop its share of the gradient.
        if (wanted === null && x.node !== null && x.node.isReleased) throw releasedError(x.node);
        const gx = sumToShape(g, x.shape);
        slots.add(x, g, gx);
        if (x.node === null) leaves.set(x.id, x);
        return gx;
      });
      observe?.({ node, dy, sent });
    }
    // Nothing the user sees has changed yet: a rule, a version check or a hook that throws leaves every
    // `.grad` as it was (and the graph in place), so a retry does not count anything twice.
    // With explicit inputs (grad(), vjp(), explain()) nothing is written to `.grad`, retained gradients included.
    const writes = wanted !== null ? [] : retained.map(([t, g]): [Tensor, Tensor] => [t, t.grad === null ? g : t.grad.add(g)]);
    if (wanted === null) {
      for (const leaf of leaves.values()) {
        const g = slots.get(leaf);
        if (g !== undefined) writes.push([leaf, slots.settle(leaf, g, applyHooks(leaf, g, createGraph), createGraph)]);
      }
    }
    for (const [t, g] of writes) t.grad = g;
  });
  if (!retainGraph) for (const node of visited) releaseNode(node);
  return opts.inputs === undefined ? [] : opts.inputs.map((x) => slots.get(x) ?? null);
}

/**
 * With explicit inputs: the tensors that lead to one of them, and the nodes that run (those with an
 * input on the way). A wanted tensor that is an op's output gets its gradient, but its producer runs
 * only if it depends on another input.
 */
function pathTo(tape: readonly TapeNode[], wanted: ReadonlySet<number>): { leads: Set<number>; runs: Set<number> } {
  const leads = new Set(wanted);
  const runs = new Set<number>();
  for (const node of tape) {
    if (node.inputs.some((x) => leads.has(x.id))) {
      leads.add(node.output.id);
      runs.add(node.id);
    }
  }
  return { leads, runs };
}

/**
 * Runs a node's rule (its raw form, if any, when not recording) after its version check; anomaly mode checks
 * what it returns. A recycling pass lends the pool to the ops the rule calls (the slots then count the result).
 */
function runRule(node: TapeNode, dy: Tensor, isRaw: boolean, isDyDonated: boolean, isLending: boolean): readonly (Tensor | null)[] {
  const rule = isRaw ? node.op.rawBackward : node.op.backward;
  if (rule === undefined) throw new GradError(`backward: no backward rule for op '${node.op.name}'`);
  checkVersions(node);
  const ctx = { inputs: node.inputs, output: node.output, dy, attrs: node.attrs };
  // An elementwise raw rule may write its result over dy when nothing else holds it.
  donate(isRaw && isDyDonated ? dy.data : null);
  const wasLending = lend(isLending);
  try {
    // Rules of nodes recorded in anomaly mode, or run in it, check their gradients for NaN/±Inf.
    return state.isAnomalyMode || node.stack !== undefined ? runCheckedRule(node, rule, ctx) : rule(ctx);
  } finally {
    donate(null);
    lend(wasLending);
  }
}

/**
 * Sums a gradient back to the shape of the input it belongs to, undoing broadcasting: leading extra
 * axes and axes where the input had 1 are summed. The engine calls this once for every input, so no
 * backward rule computes reduction axes itself. Written with the public ops, so it is differentiable.
 * @internal
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? g.sum(axes, true) : g;
  // Unrecorded, the fresh sum can simply be relabelled; recorded, the reshape is part of the graph.
  if (!state.isRecording && summed !== g) return Tensor.fromData(summed.data, shape, g.dtype);
  return summed.reshape(shape);
}
