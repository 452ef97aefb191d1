// What the engine checks before it trusts a step: the seed, released graphs, saved-tensor versions, the shapes rules return.
import { DTypeError, GradError, ShapeError } from '../base/errors.ts';
import { fmt, sameShape, type Shape } from '../base/shape.ts';
import { userFrame } from '../graph/anomaly.ts';
import { ones } from '../graph/creation.ts';
import type { TapeNode } from '../graph/tape.ts';
import { Tensor } from '../graph/tensor.ts';

/** The seed ∂L/∂root: the caller's, checked, or ones for a one-element root. @internal */
export function seedFor(root: Tensor, seed: Tensor | undefined): Tensor {
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

/** The error for a walk that meets a node an earlier backward released. @internal */
export function releasedError(node: TapeNode): GradError {
  return new GradError(
    `backward: the graph through '${node.op.name}' was already released by an earlier backward(); ` +
      'pass { retainGraph: true } to the first backward() to run it twice',
  );
}

/** Refuses a rule's gradient for input k that cannot be summed back to the input's shape. @internal */
export function checkGradShape(node: TapeNode, k: number, g: Tensor): void {
  const shape = node.inputs[k]!.shape;
  if (!broadcastsTo(shape, g.shape)) {
    throw new GradError(`backward of '${node.op.name}' returned ${fmt(g.shape)} for input ${k} of shape ${fmt(shape)}`);
  }
}

/** Whether `shape` broadcasts to `target` (so sumToShape can bring a gradient of `target` back). */
function broadcastsTo(shape: Shape, target: Shape): boolean {
  const lead = target.length - shape.length;
  if (lead < 0) return false;
  return shape.every((d, i) => d === target[i + lead] || d === 1);
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
