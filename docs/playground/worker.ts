/**
 * The playground's worker: it runs the reader's program. It lives in a sandboxed iframe (an opaque
 * origin: no storage, no cookies) under a Content-Security-Policy with `connect-src 'none'`, so the
 * program can print, compute and draw, and nothing else. It talks to the page over one MessagePort.
 *
 * A program is TypeScript: sucrase strips the types and turns `import` into `require` (keeping line
 * numbers), and the result runs as an async module (top-level `await` works) loaded from a blob URL.
 */
import { transform } from 'sucrase';
import * as core from '@tapegrad/core';
import * as nn from '@tapegrad/nn';
import * as nnNode from '@tapegrad/nn/node';
import * as verify from '@tapegrad/verify';
import * as viz from '@tapegrad/viz';
import { formatArgs } from './format.ts';
import { provideFile } from './datasets-shim.ts';
import { setRenderer } from './viz-shim.ts';

const { Tensor, Value, explain, valueGraph } = core;
type Tensor = core.Tensor;
type Value = core.Value;

/** A message from the page. */
type Inbound =
  | { type: 'run'; run: number; code: string; sliders: Record<string, number>; files: Record<string, string> }
  | { type: 'rendered'; id: number; svg?: string; error?: string };

/** The most boxes a graph may have to be drawn, and the most trace steps shown. */
const MAX_BOXES = 250;
const MAX_STEPS = 80;

const MODULES: Record<string, unknown> = {
  '@tapegrad/core': core, '@tapegrad/nn': nn, '@tapegrad/nn/node': nnNode, '@tapegrad/viz': viz, '@tapegrad/verify': verify,
};

interface Capture {
  names: Record<string, Tensor | Value>;
  calls: number;
  done: boolean;
}

/** Starts serving the page on `port`. */
export function start(port: MessagePort): void {
  const pending = new Map<number, { resolve: (svg: string) => void; reject: (e: Error) => void }>();
  let nextRender = 0;
  setRenderer(
    (dot) =>
      new Promise((resolve, reject) => {
        const id = ++nextRender;
        pending.set(id, { resolve, reject });
        port.postMessage({ type: 'render', id, dot });
      }),
  );
  const capture: Capture = { names: {}, calls: 0, done: false };
  let send: (m: Record<string, unknown>) => void = () => {};
  wrapBackward(capture, (m) => send(m));
  port.onmessage = (e: MessageEvent<Inbound>) => {
    const m = e.data;
    if (m.type === 'rendered') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.svg !== undefined) p?.resolve(m.svg);
      else p?.reject(new Error(m.error ?? 'render failed'));
      return;
    }
    for (const [name, text] of Object.entries(m.files)) provideFile(name, text);
    send = (msg) => port.postMessage({ ...msg, run: m.run });
    void run(m.code, m.sliders, capture, send);
  };
  // The kernels load (and the GEMM threads start, where memory can be shared) before the first program
  // runs; the page shows what the back end uses and, when it keeps to one thread, why.
  void core
    .ready()
    .then((info) => info, () => core.backendInfo())
    .then((info) => port.postMessage({ type: 'ready', backend: { ...info, isolated: globalThis.crossOriginIsolated === true } }));
}

const compiled = new Map<string, string>();

async function run(code: string, sliders: Record<string, number>, capture: Capture, send: (m: Record<string, unknown>) => void): Promise<void> {
  const t0 = performance.now();
  capture.names = {};
  capture.calls = 0;
  capture.done = false;
  let js = compiled.get(code);
  if (js === undefined) {
    try {
      js = transform(code, { transforms: ['typescript', 'imports'], filePath: 'playground.ts' }).code;
    } catch (e) {
      const err = e as Error & { loc?: { line: number; column: number } };
      const at = /\((\d+):(\d+)\)/.exec(err.message);
      send({ type: 'error', name: 'SyntaxError', message: err.message, line: err.loc?.line ?? (at === null ? null : Number(at[1])) });
      send({ type: 'done', ms: performance.now() - t0 });
      return;
    }
    compiled.set(code, js);
  }
  const print = (level: string) => (...args: unknown[]): void => send({ type: 'log', level, text: formatArgs(args) });
  const shownSliders = new Set<string>();
  const api = {
    /** A number the reader sets with a slider; re-runs the program on every move. */
    slider(name: string, initial: number, opts: { min?: number; max?: number; step?: number } = {}): number {
      const v = sliders[name] ?? initial;
      if (!shownSliders.has(name)) {
        shownSliders.add(name);
        send({ type: 'slider', name, value: v, min: opts.min ?? 0, max: opts.max ?? 1, step: opts.step ?? 0.01 });
      }
      return v;
    },
    /** Names for the graph, gradient and trace panes, e.g. `{ z, 'ŷ': yhat, L }`. */
    label(names: Record<string, Tensor | Value>): void {
      Object.assign(capture.names, names);
    },
    /** Shows an SVG picture (a loss curve, a decision boundary) below the output. */
    display(svg: string, title = 'figure'): void {
      send({ type: 'figure', svg: String(svg), title });
    },
  };
  const shimConsole = { log: print('log'), info: print('log'), debug: print('log'), warn: print('warn'), error: print('error') };
  const require = (id: string): unknown => {
    if (id in MODULES) return MODULES[id];
    throw new Error(`import: only ${Object.keys(MODULES).join(', ')} can be imported here, got '${id}'`);
  };
  // The prelude shares line 1 with the program, so line numbers in errors are the reader's.
  const source = `export default async function (require, exports, module, console, playground) {${js}\n}`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const exportsObj = {};
  try {
    const mod = (await import(/* @vite-ignore */ url)) as { default: (...a: unknown[]) => Promise<void> };
    await mod.default(require, exportsObj, { exports: exportsObj }, shimConsole, api);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    send({ type: 'error', name: err.name, message: err.message, line: lineIn(err.stack ?? '', url) });
  } finally {
    URL.revokeObjectURL(url);
  }
  send({ type: 'done', ms: performance.now() - t0, backwards: capture.calls });
}

/** The reader's line in a stack: the first frame in the program's blob. */
function lineIn(stack: string, url: string): number | null {
  const i = stack.indexOf(url + ':');
  if (i < 0) return null;
  const m = /^:(\d+):\d+/.exec(stack.slice(i + url.length));
  return m === null ? null : Number(m[1]);
}

/**
 * Makes `backward()` of values and tensors report the first backward pass of a run to the panes: the
 * graph (as DOT) and the chain-rule trace are read just before the pass, the leaves' gradients just after.
 */
function wrapBackward(capture: Capture, send: (m: Record<string, unknown>) => void): void {
  const valueBackward = Value.prototype.backward;
  Value.prototype.backward = function (this: Value, opts?: core.ScalarBackwardOptions): void {
    const after = before(this, opts?.grad ?? 1);
    valueBackward.call(this, opts);
    after?.();
  };
  const tensorBackward = Tensor.prototype.backward;
  Tensor.prototype.backward = function (this: Tensor, ...args: Parameters<Tensor['backward']>): void {
    const after = args[0] == null ? before(this) : null;
    tensorBackward.apply(this, args);
    after?.();
  };

  function before(root: Tensor | Value, seed = 1): (() => void) | null {
    capture.calls++;
    if (capture.done) return null;
    capture.done = true;
    const names = capture.names;
    let graph: viz.Graph | null = null;
    let vg: core.ValueGraph | null = null;
    try {
      graph = viz.graphOf(root, { names });
      if (root instanceof Value) vg = valueGraph(root);
      if (graph.nodes.length > MAX_BOXES) {
        send({ type: 'graph', dot: null, boxes: graph.nodes.length, note: `The graph has ${graph.nodes.length} boxes, more than the ${MAX_BOXES} drawn here.` });
        graph = null;
      } else if (vg === null) send({ type: 'graph', dot: viz.graphToDot(graph), boxes: graph.nodes.length });
    } catch (e) {
      send({ type: 'graph', dot: null, boxes: 0, note: `No graph: ${(e as Error).message}` });
      graph = null;
    }
    let traceText = '';
    try {
      const trace = explain(root, { names });
      const shown = trace.steps.length > MAX_STEPS ? `\n… ${trace.steps.length - MAX_STEPS} more steps` : '';
      const text = trace.toText().split('\n\nstep ').slice(0, MAX_STEPS + 1).join('\n\nstep ');
      traceText = text + shown;
    } catch (e) {
      traceText = `No trace: ${(e as Error).message}`;
    }
    send({ type: 'trace', text: traceText });
    const leaves = leavesOf(root, names);
    return () => {
      // A Value graph is drawn as micrograd's draw_dot draws it after backward: every box with its gradient.
      if (graph !== null && vg !== null) send({ type: 'graph', dot: viz.graphToDot(withGrads(graph, vg, seed)), boxes: graph.nodes.length });
      const rows = leaves.map(({ name, leaf }) => ({
        name,
        shape: leaf instanceof Tensor ? `[${leaf.shape.join(', ')}]` : 'scalar',
        grad: leaf instanceof Tensor ? (leaf.grad === null ? '—' : clip(formatArgs([leaf.grad]))) : formatArgs([leaf.grad]),
      }));
      send({ type: 'grads', rows });
    };
  }
}

/** The Value graph's boxes with the gradients of the pass that just ran: leaves' `.grad`, and ∂root/∂box for ops. */
function withGrads(graph: viz.Graph, vg: core.ValueGraph, seed: number): viz.Graph {
  const grads = new Map<number, number>([[vg.root, seed]]);
  for (const n of [...vg.nodes].filter((m) => m.kind === 'op').sort((p, q) => q.id - p.id)) {
    const dy = grads.get(n.id) ?? 0;
    n.inputs.forEach((id, k) => grads.set(id, (grads.get(id) ?? 0) + dy * n.partials[k]!));
  }
  const gradOf = new Map<string, number>();
  for (const n of vg.nodes) {
    if (n.kind === 'const') continue;
    gradOf.set(n.id < 0 ? `c${-n.id}` : `v${n.id}`, n.value !== null ? n.value.grad : grads.get(n.id) ?? 0);
  }
  const show = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(4))));
  return {
    ...graph,
    nodes: graph.nodes.map((b) => {
      const g = gradOf.get(b.id);
      return g === undefined ? b : { ...b, lines: b.lines.map((l) => (l.startsWith('grad ') ? `grad ${show(g)}` : l)) };
    }),
  };
}

/** The leaves that require grad, in creation order, with their names (given, or `param1`, `param2`, …). */
function leavesOf(root: Tensor | Value, names: Record<string, Tensor | Value>): { name: string; leaf: Tensor | Value }[] {
  const nameOf = new Map<Tensor | Value, string>(Object.entries(names).map(([k, v]) => [v, k]));
  let found: (Tensor | Value)[] = [];
  if (root instanceof Value) {
    try {
      found = valueGraph(root).nodes.flatMap((n) => (n.value !== null && n.value.requiresGrad ? [n.value] : []));
    } catch {
      found = [];
    }
  } else {
    const seen = new Set<Tensor>();
    const stack: Tensor[] = [root];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (seen.has(t)) continue;
      seen.add(t);
      if (t.node === null) {
        if (t.requiresGrad) found.push(t);
      } else stack.push(...t.node.inputs);
    }
    found.sort((p, q) => (p as Tensor).id - (q as Tensor).id);
  }
  let k = 0;
  return found.map((leaf) => ({ name: nameOf.get(leaf) ?? `param${++k}`, leaf }));
}

function clip(s: string): string {
  return s.length > 400 ? `${s.slice(0, 400)} …` : s;
}
