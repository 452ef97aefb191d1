import type { Tensor, Value } from '@tapegrad/core';
import type { Viz } from '@viz-js/viz';
import { toDot } from './dot.ts';
import type { GraphOptions } from './graph.ts';

let viz: Promise<Viz> | null = null;

/**
 * Renders DOT source to SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`, bundled in the npm
 * package: no system binary, no download, works in Node and in browsers). The renderer (about 1.4 MB)
 * is imported and instantiated once, on first use, so a bundle that never draws never loads it.
 * @param dot A graph in DOT syntax.
 * @returns The SVG document as a string.
 * @throws Error with Graphviz's message when the DOT does not parse.
 * @example
 * ```ts
 * import { dotToSvg } from '@tapegrad/viz';
 * const svg = await dotToSvg('digraph { a -> b }');
 * console.log(svg.includes('<svg')); // true
 * ```
 * @category viz
 */
export async function dotToSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return (await viz).renderString(dot, { format: 'svg', engine: 'dot' });
}

/**
 * The recorded graph from its inputs to `root` as an SVG picture, laid out by Graphviz (see
 * {@link toDot} for what is drawn and {@link dotToSvg} for the renderer). The graph is read before the
 * first `await`, so `backward()` may run right after the call; call it before `backward()` or pass
 * `{ retainGraph: true }`.
 * @param root The tensor (or micrograd-style `Value`) whose history to draw.
 * @param opts `direction`, `names`, `collapse`, `maxValues`.
 * @returns The SVG document as a string.
 * @throws GradError when the graph was already released by a backward pass.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { toSvg } from '@tapegrad/viz';
 * const x = tensor([1, 2], { requiresGrad: true });
 * const svg = await toSvg(x.mul(x).sum(), { names: { x } });
 * console.log(svg.includes('>mul<')); // true
 * ```
 * @category viz
 */
export function toSvg(root: Tensor | Value, opts: GraphOptions = {}): Promise<string> {
  return dotToSvg(toDot(root, opts));
}
