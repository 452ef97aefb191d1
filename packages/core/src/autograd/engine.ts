// The backward engine: walks a tape in reverse, runs each node's rule, sums gradients back to input shapes, checks saved-tensor versions.
import { runCheckedRule, userFrame } from '../graph/anomaly.ts';
import { DTypeError, GradError, ShapeError } from '../base/errors.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { claimScratch, donate, recycle, releaseNode, state, tapeOf, withRecording, type TapeNode } from '../graph/tape.ts';
import { ones } from '../graph/creation.ts';
import { Tensor } from '../graph/tensor.ts';
import type { FloatArray } from '../base/dtype.ts';

/** Options of a tensor backward pass. @category Autograd */
export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default false, or true with `createGraph`). */
  readonly retainGraph?: boolean;
  /** Record the backward pass, so the gradients are themselves differentiable (default false). */
  readonly createGraph?: boolean;
}

/** Options of {@link computeGrads}. @internal */
export interface GradOptions extends BackwardOptions {
  /** Tensors whose gradient is wanted; when absent, leaf gradients accumulate into `.grad`. */
  readonly inputs?: readonly Tensor[];
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

function seedFor(root: Tensor, seed: Tensor | undefined): Tensor {
  if (!root.requiresGrad) {
    throw new GradError(`backward: the tensor of shape ${fmt(root.shape)} does not require grad (no input of its graph has requiresGrad)`);
  }
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new GradError(
        `backward: a seed gradient is needed for a non-scalar output, got shape ${fmt(root.shape)}; pass backward(grad) with a tensor of that shape`,
      );
    }
    return ones(root.shape, { dtype: root.dtype });
  }
  if (!(seed instanceof Tensor)) throw new GradError('backward: the seed gradient must be a Tensor');
  if (!sameShape(seed.shape, root.shape)) {
    throw new ShapeError(`backward: the seed gradient must have the output's shape ${fmt(root.shape)}, got ${fmt(seed.shape)}`);
  }
  if (seed.dtype !== root.dtype) {
    throw new DTypeError(`backward: the seed gradient must have the output's dtype ${root.dtype}, got ${seed.dtype}`);
  }
  return seed;
}

function releasedError(node: TapeNode): GradError {
  return new GradError(
    `backward: the graph through '${node.op.name}' was already released by an earlier backward(); ` +
      'pass { retainGraph: true } to the first backward() to run it twice',
  );
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
 * The engine: walks the tensor lane of the tape in reverse with a loop, running each reached node's
 * rule and accumulating (never overwriting) gradients by tensor id. With `inputs`, returns their
 * gradients (null where the output does not depend on them) instead of touching `.grad`.
 * @internal
 */
export function computeGrads(roots: readonly Tensor[], seeds: readonly Tensor[] | undefined, opts: GradOptions = {}): (Tensor | null)[] {
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const grads = new Map<number, Tensor>();
  const leaves = new Map<number, Tensor>();
  // The part of the tape that leads to the roots, in creation order.
  const tape = tapeOf(roots);
  const start = tape.length - 1;
  // Every check comes before any gradient is written, so a failing call changes nothing.
  const rootSeeds = roots.map((r, k) => seedFor(r, seeds?.[k]));
  for (const [k, r] of roots.entries()) {
    if (r.node === null) leaves.set(r.id, r);
    else if (r.node.isReleased) throw releasedError(r.node);
    const prev = grads.get(r.id);
    grads.set(r.id, prev === undefined ? rootSeeds[k]! : prev.add(rootSeeds[k]!));
  }
  const wanted = opts.inputs === undefined ? null : new Set(opts.inputs.map((x) => x.id));
  // With explicit inputs, nodes that do not depend on any of them are skipped. A wanted tensor that is
  // itself an op's output gets its gradient, but its producer runs only if it depends on another input.
  let leadsToInput: Set<number> | null = null;
  const onPath = new Set<number>();
  if (wanted !== null) {
    leadsToInput = new Set(wanted);
    for (let i = 0; i <= start; i++) {
      const node = tape[i]!;
      if (node.inputs.some((x) => leadsToInput!.has(x.id))) {
        leadsToInput.add(node.output.id);
        onPath.add(node.id);
      }
    }
  }
  const visited: TapeNode[] = [];
  const retained: [Tensor, Tensor][] = [];
  // Gradient storage only this pass can see, with how many holders it has (gradient slots, and the
  // rule in flight). Storage leaves the map the moment user code can see it; at zero holders it is
  // recycled. Recorded gradients (createGraph) belong to a graph and are never recycled.
  const refs = createGraph ? null : new Map<FloatArray, number>();
  const release = (buf: FloatArray): void => {
    const n = refs!.get(buf);
    if (n === undefined) return;
    if (n > 1) refs!.set(buf, n - 1);
    else {
      refs!.delete(buf);
      recycle(buf);
    }
  };
  const hold = (buf: FloatArray): void => {
    const n = refs!.get(buf);
    if (n !== undefined) refs!.set(buf, n + 1);
  };
  // Adds gx into x's slot (never overwriting), in place into storage nothing else holds or will read.
  const accumulate = (id: number, gx: Tensor): void => {
    const prev = grads.get(id);
    if (prev === undefined) grads.set(id, gx);
    else if (refs !== null && prev.dtype === gx.dtype && prev.data !== gx.data && refs.get(prev.data) === 1) {
      addInto(prev.data, gx.data);
      release(gx.data);
    } else if (refs !== null && prev.dtype === gx.dtype && prev.data !== gx.data && refs.get(gx.data) === 1) {
      addInto(gx.data, prev.data);
      grads.set(id, gx);
      release(prev.data);
    } else {
      const total = prev.add(gx);
      grads.set(id, total);
      if (refs !== null) {
        refs.set(total.data, 1);
        release(prev.data);
        release(gx.data);
      }
    }
  };
  withRecording(createGraph, () => {
    for (let i = start; i >= 0; i--) {
      const node = tape[i]!;
      const out = node.output;
      let dy = grads.get(out.id);
      if (dy === undefined) continue;
      if (leadsToInput !== null && !leadsToInput.has(out.id)) continue;
      if (node.isReleased) throw releasedError(node);
      const isWanted = wanted !== null && wanted.has(out.id);
      // Hooks get a private copy; the slot's hold on the original passes to the rule, or is let go here.
      const hooked = applyHooks(out, dy, createGraph);
      if (hooked !== dy) {
        if (refs !== null) release(dy.data);
        dy = hooked;
      }
      // retainGrad sees dy, a wanted gradient goes back to the caller, and a rule that is not a raw kernel
      // (a custom op's, say) may keep ctx.dy: none of these is recycled.
      const isRaw = !createGraph && node.op.rawBackward !== undefined;
      if (refs !== null && (isWanted || out.isRetainingGrad || !isRaw)) refs.delete(dy.data);
      // Written only once the whole pass has succeeded (all or nothing).
      if (out.isRetainingGrad) retained.push([out, dy]);
      // The slot's hold on dy passes to the rule about to run.
      if (isWanted) grads.set(out.id, dy);
      else grads.delete(out.id);
      if (wanted !== null && !onPath.has(node.id)) {
        if (refs !== null) release(dy.data);
        continue;
      }
      visited.push(node);
      const rule = isRaw ? node.op.rawBackward : node.op.backward;
      if (rule === undefined) throw new GradError(`backward: no backward rule for op '${node.op.name}'`);
      checkVersions(node);
      const ctx = { inputs: node.inputs, output: out, dy, attrs: node.attrs };
      // An elementwise raw rule may write its result over dy when nothing else holds it.
      if (refs !== null) donate(isRaw && refs.get(dy.data) === 1 ? dy.data : null);
      let gs: readonly (Tensor | null)[];
      try {
        // Rules of nodes recorded in anomaly mode, or run in it, check their gradients for NaN/±Inf.
        gs = state.isAnomalyMode || node.stack !== undefined ? runCheckedRule(node, rule, ctx) : rule(ctx);
      } finally {
        if (refs !== null) donate(null);
      }
      if (refs !== null) {
        // What a raw rule took from scratch belongs to the pass. Each returned gradient holds its storage
        // until it is stored or dropped below; then the rule lets go of dy.
        node.inputs.forEach((x, k) => {
          const g = gs[k];
          if (g === null || g === undefined || !x.requiresGrad) return;
          if (isRaw && claimScratch(g.data)) refs.set(g.data, 0);
          hold(g.data);
        });
        release(dy.data);
      }
      node.inputs.forEach((x, k) => {
        const g = gs[k];
        if (g === null || g === undefined || !x.requiresGrad) return;
        // Checked before sumToShape, which would otherwise fail with a confusing reshape error.
        if (!broadcastsTo(x.shape, g.shape)) {
          throw new GradError(`backward of '${node.op.name}' returned ${fmt(g.shape)} for input ${k} of shape ${fmt(x.shape)}`);
        }
        // Reaching a tensor whose producer was released would silently drop its share of the gradient.
        if (wanted === null && x.node !== null && x.node.isReleased) throw releasedError(x.node);
        const gx = sumToShape(g, x.shape);
        if (refs !== null && gx !== g) {
          // An unrecorded reduction made here: fresh storage, and g's use is over.
          refs.set(gx.data, 1);
          release(g.data);
        }
        accumulate(x.id, gx);
        if (x.node === null) leaves.set(x.id, x);
      });
    }
    // Nothing the user sees has changed yet: a rule, a version check or a hook that throws leaves every
    // `.grad` as it was (and the graph in place), so a retry does not count anything twice.
    const writes: [Tensor, Tensor][] = [];
    for (const [t, g] of retained) writes.push([t, t.grad === null ? g : t.grad.add(g)]);
    if (wanted === null) {
      for (const [id, leaf] of leaves) {
        const g = grads.get(id);
        if (g === undefined) continue;
        const h = applyHooks(leaf, g, createGraph);
        if (refs !== null && leaf.grad === null && h === g && refs.get(g.data) === 1) {
          // Nothing else holds it: the leaf takes it as it is.
          refs.delete(g.data);
          writes.push([leaf, g]);
          continue;
        }
        // Else a fresh copy: the same gradient tensor may flow to several leaves.
        writes.push([leaf, leaf.grad !== null ? leaf.grad.add(h) : createGraph ? h : copyOf(h)]);
        if (refs !== null) release(g.data);
      }
    }
    for (const [t, g] of writes) t.grad = g;
  });
  if (!retainGraph) {
    for (const node of visited) releaseNode(node);
  }
  if (wanted === null) return [];
  return opts.inputs!.map((x) => grads.get(x.id) ?? null);
}

/** Whether `shape` broadcasts to `target` (so sumToShape can bring a gradient of `target` back). */
function broadcastsTo(shape: Shape, target: Shape): boolean {
  const lead = target.length - shape.length;
  if (lead < 0) return false;
  return shape.every((d, i) => d === target[i + lead] || d === 1);
}

/** acc += x elementwise (same length). */
function addInto(acc: FloatArray, x: FloatArray): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
}

function copyOf(t: Tensor): Tensor {
  return Tensor.fromData(t.data.slice(), t.shape, t.dtype);
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

function role(node: TapeNode, k: number): string {
  const n = node.inputs.length;
  return n === 1 ? 'input x' : n === 2 ? `input ${k === 0 ? 'a' : 'b'}` : `input ${k}`;
}

function staleError(node: TapeNode, name: string, t: Tensor, expected: number): GradError {
  const what = t.node === null ? 'a leaf of shape' : t.node === node ? 'shape' : `the output of '${t.node.op.name}' of shape`;
  const site = userFrame(node.stack);
  return new GradError(
    `backward of '${node.op.name}': ${name} (${what} ${fmt(t.shape)}, ${t.dtype}) was modified by an inplace operation ` +
      `after '${node.op.name}' was recorded: it is at version ${t.version}, expected version ${expected}` +
      `${site === undefined ? '' : `; '${node.op.name}' was recorded at ${site}`}` +
      '; the gradient needs the old values, so clone it before changing it in place, or change it only after backward',
  );
}

/**
 * Refuses to run a node's rule when a tensor it saved (an input, or the output that rules such as exp
 * and sigmoid reuse) was changed in place since the node was recorded.
 * @internal
 */
export function checkVersions(node: TapeNode): void {
  const inputs = node.inputs;
  for (let k = 0; k < inputs.length; k++) {
    const x = inputs[k]!;
    const expected = node.inputVersions[k]!;
    if (x.version !== expected) throw staleError(node, role(node, k), x, expected);
  }
  const out = node.output;
  if (node.outputVersion !== undefined && out.version !== node.outputVersion) throw staleError(node, 'its output y', out, node.outputVersion);
}
