import type { Tensor, Value } from '@tapegrad/core';
import { graphOf, type Graph, type GraphNode, type GraphOptions } from './graph.ts';

const STYLE: Record<GraphNode['kind'], string> = {
  op: 'shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#4a6fa5"',
  group: 'shape=box3d, style=filled, fillcolor="#fff4d6", color="#b7862a"',
  param: 'shape=box, style=filled, fillcolor="#e6f4ea", color="#3c8d5a"',
  const: 'shape=box, style=dashed, color="#888888"',
};

/**
 * The recorded graph from its inputs to `root` in Graphviz DOT: one box per op with its name, output
 * shape and (when small) values and gradients, leaves as boxes of their own, arrows in data-flow
 * direction. Draw before `backward()` (it releases the graph) or pass `{ retainGraph: true }` to it;
 * gradients appear on leaves, and on intermediate tensors that called `retainGrad()`.
 * @param root The tensor (or micrograd-style `Value`) whose history to draw.
 * @param opts `direction` (`'LR'` or `'TB'`), `names`, `collapse` (scopes to one box), `maxValues`.
 * @returns A `digraph` in DOT syntax.
 * @throws GradError when the graph was already released by a backward pass.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { toDot } from '@tapegrad/viz';
 * const x = tensor([1, 2], { requiresGrad: true });
 * const dot = toDot(x.mul(x).sum(), { names: { x }, direction: 'TB' });
 * console.log(dot.split('\n')[0]); // digraph tapegrad {
 * ```
 * @category viz
 */
export function toDot(root: Tensor | Value, opts: GraphOptions = {}): string {
  return graphToDot(graphOf(root, opts));
}

/**
 * Prints a {@link Graph} (what {@link graphOf} returns, possibly edited: other labels, fewer boxes) as
 * Graphviz DOT, in the style of {@link toDot}.
 * @param g The boxes, arrows and direction.
 * @returns A `digraph` in DOT syntax.
 * @example
 * ```ts
 * import { value } from '@tapegrad/core';
 * import { graphOf, graphToDot } from '@tapegrad/viz';
 * const x = value(3);
 * const g = graphOf(x.mul(x));
 * const dot = graphToDot({ ...g, nodes: g.nodes.map((n) => ({ ...n, lines: [] })) });
 * console.log(dot.includes('label="mul"')); // true
 * ```
 * @category viz
 */
export function graphToDot(g: Graph): string {
  const lines = [
    'digraph tapegrad {',
    `  rankdir=${g.direction};`,
    '  bgcolor="transparent";',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555", arrowsize=0.7];',
  ];
  for (const n of g.nodes) {
    const label = [n.title, ...n.lines].map(esc).join('\\n');
    const root = n.isRoot ? ', penwidth=2.5' : '';
    lines.push(`  ${n.id} [label="${label}", ${STYLE[n.kind]}${root}];`);
  }
  for (const e of g.edges) lines.push(`  ${e.from} -> ${e.to};`);
  lines.push('}');
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
