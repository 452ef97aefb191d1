import type { Tensor, Value } from '@tapegrad/core';
import { graphOf, type GraphNode, type GraphOptions } from './graph.ts';

const SHAPE: Record<GraphNode['kind'], [string, string]> = {
  op: ['(["', '"])'],
  group: ['[["', '"]]'],
  param: ['["', '"]'],
  const: ['[/"', '"/]'],
};

/**
 * The recorded graph from its inputs to `root` as a Mermaid flowchart (renders on GitHub and in most
 * Markdown viewers): ops as rounded boxes with name, shape and small values, collapsed scopes as
 * double-edged boxes, parameters as boxes, constants as slanted boxes. Draw before `backward()` or
 * pass `{ retainGraph: true }` to it.
 * @param root The tensor (or micrograd-style `Value`) whose history to draw.
 * @param opts `direction`, `names`, `collapse`, `maxValues`, as for {@link toDot}.
 * @returns Mermaid source starting with `flowchart LR` (or `TB`).
 * @throws GradError when the graph was already released by a backward pass.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { toMermaid } from '@tapegrad/viz';
 * const x = tensor([1, 2], { requiresGrad: true });
 * console.log(toMermaid(x.exp().sum()).split('\n')[0]); // flowchart LR
 * ```
 * @category viz
 */
export function toMermaid(root: Tensor | Value, opts: GraphOptions = {}): string {
  const g = graphOf(root, opts);
  const lines = [`flowchart ${g.direction}`];
  for (const n of g.nodes) {
    const [open, close] = SHAPE[n.kind];
    const label = [n.isRoot ? `<b>${esc(n.title)}</b>` : esc(n.title), ...n.lines.map(esc)].join('<br/>');
    lines.push(`  ${n.id}${open}${label}${close}`);
  }
  for (const e of g.edges) lines.push(`  ${e.from} --> ${e.to}`);
  return lines.join('\n');
}

/** Mermaid labels are quoted; quotes and angle brackets become entities. */
function esc(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
