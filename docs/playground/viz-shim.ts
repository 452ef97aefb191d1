/**
 * Stands in for `@viz-js/viz` inside the playground's worker: the worker has no network, so `toSvg`
 * asks the page to lay the graph out (the page loads Graphviz the first time a graph is drawn).
 */
type Render = (dot: string) => Promise<string>;

let render: Render = () => Promise.reject(new Error('toSvg: no renderer connected'));

/** Connects the renderer (the worker's message channel to the page). */
export function setRenderer(r: Render): void {
  render = r;
}

/** The part of `@viz-js/viz`'s instance that `@tapegrad/viz` uses; `renderString` answers with a promise. */
export function instance(): Promise<{ renderString(dot: string, opts?: unknown): Promise<string> }> {
  return Promise.resolve({ renderString: (dot: string) => render(dot) });
}

export type Viz = Awaited<ReturnType<typeof instance>>;
