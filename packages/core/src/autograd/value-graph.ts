// valueGraph(): a micrograd-style Value graph read back from the scalar lane, for explain and the graph drawers.
import { ArgumentError } from '../base/errors.ts';
import { scalarRowsOf } from '../graph/scalar-tape.ts';
import { Value } from '../graph/value.ts';

/** One node of a `Value` graph, as {@link valueGraph} reads it from the tape. @category Autograd */
export interface ValueNode {
  /** Identifier: the tape row (creation order) for ops and leaves, a negative number for a constant operand. */
  readonly id: number;
  /** `op` (a recorded operation), `leaf` (a value you made that requires grad) or `const` (a constant operand). */
  readonly kind: 'op' | 'leaf' | 'const';
  /** The op's name for `op` nodes (`mul`, `sigmoid`, …), else null. */
  readonly op: string | null;
  /** The op's derivation for `op` nodes, else null. */
  readonly rule: string | null;
  /** The node's value. */
  readonly data: number;
  /** Its gradient: a leaf's `.grad`, an op's gradient from the most recent backward pass (0 before any); null for a constant. */
  readonly grad: number | null;
  /** The ids of the op's operands in argument order (empty for leaves and constants). */
  readonly inputs: readonly number[];
  /** The local derivative ∂this/∂operand for each input, as recorded (0 for a constant operand). */
  readonly partials: readonly number[];
  /** The leaf's own handle (leaves only, null otherwise), e.g. to read its `.grad` after a backward pass. */
  readonly value: Value | null;
}

/** What {@link valueGraph} returns. @category Autograd */
export interface ValueGraph {
  /** The nodes in creation order (constants just before the op that uses them). */
  readonly nodes: readonly ValueNode[];
  /** The id of the root's node. */
  readonly root: number;
  /**
   * The id of a value of the graph.
   * @param v A `Value`.
   * @returns Its node's id, or undefined when it is not part of this graph (or a leaf that has since been used in a newer graph).
   */
  idOf(v: Value): number | undefined;
}

/**
 * Reads the recorded graph of a scalar `Value` back from the tape, without changing it: every op the
 * root depends on with its value, gradient, operands and local partials, every leaf and every constant
 * operand. This is what `explain` and the graph drawers of `@tapegrad/viz` show for `Value`s, micrograd
 * `draw_dot` style. Read it before `backward()`, or after `backward({ retainGraph: true })` to see the
 * gradients of the intermediate values too.
 * @param root The value whose history to read.
 * @returns The nodes, the root's id, and a lookup from handles to ids.
 * @throws ArgumentError when root is not a `Value`.
 * @throws GradError when the graph behind root was already released by a backward pass.
 * @example
 * ```ts
 * import { value, valueGraph } from '@tapegrad/core';
 * const x = value(2);
 * const y = x.mul(3).tanh();
 * const g = valueGraph(y);
 * console.log(g.nodes.map((n) => n.op ?? n.kind).join(' ')); // leaf const mul tanh
 * ```
 * @category Autograd
 */
export function valueGraph(root: Value): ValueGraph {
  const what = 'valueGraph';
  if (!(root instanceof Value)) throw new ArgumentError(`${what}: root must be a Value, got ${typeof root}`);
  const rows = scalarRowsOf(root, what);
  const nodes: ValueNode[] = [];
  if (rows.length === 0) {
    const kind = root.requiresGrad ? 'leaf' : 'const';
    nodes.push({ id: 0, kind, op: null, rule: null, data: root.data, grad: root.requiresGrad ? root.grad : null, inputs: [], partials: [], value: root });
    return { nodes, root: 0, idOf: (v) => (v === root ? 0 : undefined) };
  }
  // A leaf can stand at two rows of one graph (it gets a fresh row when its old one is below the last
  // backward pass); it is one node, under the id of its first row.
  const alias = new Map<number, number>();
  const leafId = new Map<Value, number>();
  for (const r of rows) {
    const op = r.op;
    if (op === null && r.handle !== undefined) {
      const first = leafId.get(r.handle);
      if (first !== undefined) {
        alias.set(r.row, first);
        continue;
      }
      leafId.set(r.handle, r.row);
    }
    if (op === null) {
      nodes.push({ id: r.row, kind: 'leaf', op: null, rule: null, data: r.data, grad: r.grad, inputs: [], partials: [], value: r.handle ?? null });
      continue;
    }
    const inputs: number[] = [];
    const partials: number[] = [];
    for (let k = 0; k < op.arity; k++) {
      let id = r.inputs[k]!;
      id = alias.get(id) ?? id;
      if (id < 0) {
        id = -(2 * r.row + k + 1);
        nodes.push({ id, kind: 'const', op: null, rule: null, data: r.constant, grad: null, inputs: [], partials: [], value: null });
      }
      inputs.push(id);
      partials.push(r.partials[k]!);
    }
    nodes.push({ id: r.row, kind: 'op', op: op.name, rule: op.rule, data: r.data, grad: r.grad, inputs, partials, value: null });
  }
  // A handle is identified by the row and generation it had when the graph was read, so the lookup
  // still works after a backward pass released the rows.
  const gens = new Map(rows.map((r) => [r.row, r.gen]));
  return {
    nodes,
    root: root.slot,
    idOf: (v) => (v instanceof Value && gens.get(v.slot) === v.gen ? alias.get(v.slot) ?? v.slot : undefined),
  };
}
