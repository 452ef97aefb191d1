import type { Tensor } from '@tapegrad/core';
import { instance, type Viz } from '@viz-js/viz';
import { toDot } from './dot.ts';
import type { GraphOptions } from './graph.ts';

let viz: Promise<Viz> | null = null;

/**
 * Renders DOT source to SVG with Graphviz compiled to WebAssembly (`@viz-js/viz`, bundled in the npm
 * package: no system binary, no download, works in Node and in browsers). The WebAssembly module is
 * instantiated once, on first use.
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
  viz ??= instance();
  return (await viz).renderString(dot, { format: 'svg', engine: 'dot' });
}

/**
 * The recorded graph from its inputs to `root` as an SVG picture, laid out by Graphviz (see
 * {@link toDot} for what is drawn and {@link dotToSvg} for the renderer). The graph is read before the
 * first `await`, so `backward()` may run right after the call; call it before `backward()` or pass
 * `{ retainGraph: true }`.
 * @param root The tensor whose history to draw.
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
export function toSvg(root: Tensor, opts: GraphOptions = {}): Promise<string> {
  return dotToSvg(toDot(root, opts));
}
