import { GradError, Value, valueGraph, type Scope, type TapeNode, type Tensor } from '@tapegrad/core';
import { num, shapeText, valuesText } from './format.ts';

/** Options shared by {@link toDot}, {@link toMermaid}, {@link toSvg} and {@link graphOf}. @category viz */
export interface GraphOptions {
  /** Layout direction: `'LR'` left to right (default), `'TB'` top down. */
  readonly direction?: 'LR' | 'TB';
  /** Names for tensors (or values), e.g. `{ x, W1, b1, loss }`; other leaves are labelled `param` or `const`. */
  readonly names?: Readonly<Record<string, Tensor | Value>>;
  /**
   * Collapse scoped ops (see `withScope` in core) into one box per scope call: `true` or `1` groups by
   * the outermost scope, a number `d` by the scope at depth `d`, a list of names by the outermost scope
   * with one of those names (e.g. `['Linear']`). Off by default.
   */
  readonly collapse?: boolean | number | readonly string[];
  /** Show values and gradients of tensors with at most this many elements (default 4; 0 hides them; `Value`s always show theirs). */
  readonly maxValues?: number;
}

/** A box of the drawing: an op (or a collapsed scope) with its output, or a leaf tensor. @category viz */
export interface GraphNode {
  /** Stable identifier (`n<tensor id>` or `g<scope id>`; `v<row>` and `c<k>` for a `Value` graph). */
  readonly id: string;
  /** `op`, `group` (a collapsed scope), `param` (leaf that requires grad) or `const`. */
  readonly kind: 'op' | 'group' | 'param' | 'const';
  /** The op name, the scope name, or the tensor's name. */
  readonly title: string;
  /** Further lines: shape, then values and gradient when small (a `Value` shows `data` and `grad`). */
  readonly lines: readonly string[];
  /** Whether this box produces the root. */
  readonly isRoot: boolean;
}

/** An arrow from a producer to the box that consumes it. @category viz */
export interface GraphEdge {
  /** Producer's {@link GraphNode.id}. */
  readonly from: string;
  /** Consumer's {@link GraphNode.id}. */
  readonly to: string;
}

/** The drawable graph: boxes in creation order and arrows in data-flow direction. @category viz */
export interface Graph {
  /** The boxes. */
  readonly nodes: readonly GraphNode[];
  /** The arrows, without duplicates. */
  readonly edges: readonly GraphEdge[];
  /** Layout direction. */
  readonly direction: 'LR' | 'TB';
}

/**
 * Reads the recorded graph from `root` back to its inputs (through `tensor.node.inputs`, with an
 * explicit stack, so long chains are fine) into boxes and arrows; {@link toDot} and {@link toMermaid}
 * print it. Backward releases the graph it runs through, so draw before `backward()` or pass
 * `{ retainGraph: true }` to it. A scalar `Value` graph is drawn as micrograd's `draw_dot` draws it:
 * one box per value with its op, `data` and `grad`, constant operands as boxes of their own
 * (call `backward({ retainGraph: true })` first to see every gradient).
 * @param root The tensor or value whose history to draw.
 * @param opts Direction, names, collapsing, value display.
 * @returns The boxes and arrows.
 * @throws GradError when the graph was already released by a backward pass.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { graphOf } from '@tapegrad/viz';
 * const x = tensor([1, 2], { requiresGrad: true });
 * const g = graphOf(x.mul(x).sum(), { names: { x } });
 * console.log(g.nodes.map((n) => n.title).join(', ')); // x, mul, sum
 * ```
 * @category viz
 */
export function graphOf(root: Tensor | Value, opts: GraphOptions = {}): Graph {
  if (root instanceof Value) return valueGraphOf(root, opts);
  const names = new Map<number, string>();
  for (const [name, t] of Object.entries(opts.names ?? {})) if (!(t instanceof Value)) names.set(t.id, name);
  const maxValues = opts.maxValues ?? 4;
  const tensors = collect(root);
  const groupOf = (node: TapeNode): Scope | null => groupScope(node.scope, opts.collapse);
  // Which box produces each tensor: its op's box, its scope's box, or its own box for a leaf.
  const boxOf = (t: Tensor): string => {
    if (t.node === null) return `n${t.id}`;
    const g = groupOf(t.node);
    return g === null ? `n${t.id}` : `g${g.id}`;
  };
  const nodes = new Map<string, GraphNode & { order: number }>();
  const groupOutputs = new Map<string, Tensor[]>();
  const edges = new Map<string, GraphEdge>();
  for (const t of tensors) {
    const id = boxOf(t);
    const node = t.node;
    if (node === null) {
      const kind = t.requiresGrad ? 'param' : 'const';
      nodes.set(id, { id, kind, title: names.get(t.id) ?? kind, lines: describe(t, maxValues), isRoot: t === root, order: t.id });
      continue;
    }
    const group = groupOf(node);
    if (group === null) {
      const title = names.has(t.id) ? `${node.op.name} → ${names.get(t.id)!}` : node.op.name;
      nodes.set(id, { id, kind: 'op', title, lines: describe(t, maxValues), isRoot: t === root, order: t.id });
    } else if (!nodes.has(id)) {
      nodes.set(id, { id, kind: 'group', title: group.name, lines: [], isRoot: false, order: t.id });
      groupOutputs.set(id, []);
    }
    for (const x of node.inputs) {
      const from = boxOf(x);
      if (from !== id) edges.set(`${from}>${id}`, { from, to: id });
    }
  }
  // A collapsed box shows the tensors it hands to the rest of the graph (or the root).
  for (const t of tensors) {
    const id = boxOf(t);
    if (!groupOutputs.has(id)) continue;
    const usedOutside = t === root || tensors.some((u) => u.node !== null && boxOf(u) !== id && u.node.inputs.includes(t));
    if (usedOutside) groupOutputs.get(id)!.push(t);
  }
  for (const [id, outs] of groupOutputs) {
    const box = nodes.get(id)!;
    const lines = outs.flatMap((t) => describe(t, maxValues));
    nodes.set(id, { ...box, lines, isRoot: outs.includes(root) });
  }
  const ordered = [...nodes.values()].sort((a, b) => a.order - b.order).map(({ order: _order, ...n }) => n);
  return { nodes: ordered, edges: [...edges.values()], direction: opts.direction ?? 'LR' };
}

/** The micrograd-style drawing of a `Value` graph: op, data and grad in every box. */
function valueGraphOf(root: Value, opts: GraphOptions): Graph {
  const g = valueGraph(root);
  const names = new Map<number, string>();
  for (const [name, v] of Object.entries(opts.names ?? {})) {
    const id = v instanceof Value ? g.idOf(v) : undefined;
    if (id !== undefined) names.set(id, name);
  }
  const boxId = (id: number): string => (id < 0 ? `c${-id}` : `v${id}`);
  const nodes: GraphNode[] = g.nodes.map((n) => {
    const lines = [`data ${num(n.data)}`];
    if (n.grad !== null) lines.push(`grad ${num(n.grad)}`);
    const name = names.get(n.id);
    const title = n.kind === 'op' ? (name === undefined ? n.op! : `${n.op!} → ${name}`) : n.kind === 'leaf' ? name ?? 'param' : 'const';
    return { id: boxId(n.id), kind: n.kind === 'leaf' ? 'param' : n.kind, title, lines, isRoot: n.id === g.root };
  });
  // x·x uses x twice: one arrow.
  const edges = new Map<string, GraphEdge>();
  for (const n of g.nodes) for (const i of n.inputs) edges.set(`${boxId(i)}>${boxId(n.id)}`, { from: boxId(i), to: boxId(n.id) });
  return { nodes, edges: [...edges.values()], direction: opts.direction ?? 'LR' };
}

/** Every tensor the root depends on through recorded ops, in creation order; iterative, no recursion. */
function collect(root: Tensor): Tensor[] {
  const seen = new Map<number, Tensor>();
  const stack: Tensor[] = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.set(t.id, t);
    const node = t.node;
    if (node === null) continue;
    if (node.isReleased) {
      throw new GradError(
        `graph: the graph through '${node.op.name}' was released by backward(); draw it before backward() or pass { retainGraph: true }`,
      );
    }
    for (const x of node.inputs) if (!seen.has(x.id)) stack.push(x);
  }
  return [...seen.values()].sort((a, b) => a.id - b.id);
}

/** The scope a node is drawn inside when collapsing, or null to draw the op itself. */
function groupScope(scope: Scope | null, collapse: GraphOptions['collapse']): Scope | null {
  if (scope === null || collapse === undefined || collapse === false) return null;
  const chain: Scope[] = [];
  for (let s: Scope | null = scope; s !== null; s = s.parent) chain.unshift(s);
  if (Array.isArray(collapse)) return chain.find((s) => collapse.includes(s.name)) ?? null;
  const depth = collapse === true ? 1 : (collapse as number);
  return chain[depth - 1] ?? null;
}

function describe(t: Tensor, maxValues: number): string[] {
  const lines = [shapeText(t.shape)];
  if (t.size <= maxValues) {
    lines.push(`data ${valuesText(t.data)}`);
    if (t.grad !== null) lines.push(`grad ${valuesText(t.grad.data)}`);
  }
  return lines;
}
