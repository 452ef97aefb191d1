import * as core from '@tapegrad/core';
import { defineUnary, exp, explain, GradError, mul, tensor, value, valueGraph, type Value } from '@tapegrad/core';
import { graphOf, toDot, toMermaid, toSvg } from '@tapegrad/viz';
import { main, memoryIo } from '@tapegrad/cli';
import { describe, expect, test } from 'vitest';

/** micrograd's README example, shortened: c = (a·b + 10)·a. */
function small() {
  const a = value(2);
  const b = value(-3);
  const ab = a.mul(b);
  const c = ab.add(10).mul(a);
  return { a, b, ab, c };
}

/** The seed neuron on Values: ŷ = σ(w·x + b), L = BCE(ŷ, t). */
function neuron(t: number) {
  const w = value(0.8);
  const b = value(-0.3);
  const z = w.mul(1.5).add(b);
  const yhat = z.sigmoid();
  const L = yhat.log().mul(t).add(yhat.neg().add(1).log().mul(1 - t)).neg();
  return { w, b, z, yhat, L };
}

describe('valueGraph', () => {
  test('reads ops, leaves and constants with data, grad and local partials, changing nothing', () => {
    const { a, b, c } = small();
    const before = valueGraph(c);
    expect(before.nodes.map((n) => `${n.kind}:${n.op ?? ''}:${n.data}`)).toEqual([
      'leaf::2', 'leaf::-3', 'op:mul:-6', 'const::10', 'op:add:4', 'op:mul:8',
    ]);
    expect(before.nodes.find((n) => n.id === before.root)!.grad).toBe(0);
    c.backward({ retainGraph: true });
    const after = valueGraph(c);
    const byOp = after.nodes.filter((n) => n.kind === 'op');
    // dc/dc = 1, dc/d(ab + 10) = a = 2, dc/d(ab) = 2, dc/da = (ab + 10) + b·a = -2, dc/db = a·a = 4
    expect(byOp.map((n) => n.grad)).toEqual([2, 2, 1]);
    expect(after.nodes.find((n) => n.id === after.idOf(a))!.grad).toBe(-2);
    expect(after.nodes.find((n) => n.id === after.idOf(b))!.grad).toBe(4);
    expect(byOp[2]!.partials).toEqual([2, 4]);
    expect(after.nodes.filter((n) => n.value !== null).map((n) => n.value)).toEqual([a, b]);
    // Reading did not release: a second backward still runs and accumulates.
    c.backward();
    expect(a.grad).toBe(-4);
    expect(() => valueGraph(c)).toThrow(GradError);
  });

  test('every Value method names its own op; constants on either side, outputs and partials are read back', () => {
    type Method = (this: Value, b?: Value | number) => Value;
    const call = (v: Value, name: string, b?: Value | number): Value => (v as unknown as Record<string, Method>)[name]!.call(v, b);
    for (const name of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum']) {
      const x = value(1.5);
      const y = call(x, name, 2.5);
      expect(valueGraph(y).nodes.map((n) => `${n.kind}:${n.op ?? ''}:${n.data}:${n.partials.join()}`)).toEqual([
        'leaf::1.5:', 'const::2.5:', `op:${name}:${y.data}:${valueGraph(y).nodes[2]!.partials[0]},0`,
      ]);
      // The constant as the first operand (a Value that does not require grad).
      const z = call(value(2.5, false), name, x);
      const g = valueGraph(z);
      expect(g.nodes.map((n) => `${n.kind}:${n.op ?? ''}:${n.data}`)).toEqual(['leaf::1.5', 'const::2.5', `op:${name}:${z.data}`]);
      expect(g.nodes[2]!.inputs).toEqual([g.nodes[1]!.id, g.idOf(x)]);
      expect(g.nodes[2]!.partials[0]).toBe(0);
    }
    for (const name of ['neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'square', 'sigmoid', 'tanh', 'relu', 'softplus', 'sin', 'cos']) {
      const y = call(value(0.7), name);
      const nodes = valueGraph(y).nodes;
      expect(nodes.map((n) => `${n.kind}:${n.op ?? ''}:${n.data}`)).toEqual(['leaf::0.7', `op:${name}:${y.data}`]);
      expect(nodes[1]!.rule).toBe((core as unknown as Record<string, { op: { rule: string } }>)[name]!.op.rule);
    }
    // An op applied as a free function, and one defined by the user, are read back by name too.
    const cube = defineUnary({ name: 'cube', rule: 'y = x³, dy/dx = 3x²', forward: (x) => x ** 3, derivative: (x) => mul(3, mul(x, x)) });
    const x = value(2);
    const y = cube(exp(x) as Value) as Value;
    expect(valueGraph(y).nodes.map((n) => `${n.op ?? n.kind}:${n.data}:${n.partials.join()}`)).toEqual([
      'leaf:2:', `exp:${Math.exp(2)}:${Math.exp(2)}`, `cube:${Math.exp(2) ** 3}:${3 * (Math.exp(2) * Math.exp(2))}`,
    ]);
  });

  test('a leaf alone is a one-node graph', () => {
    const x = value(5);
    expect(valueGraph(x).nodes).toEqual([{ id: 0, kind: 'leaf', op: null, rule: null, data: 5, grad: 0, inputs: [], partials: [], value: x }]);
  });
});

describe('Value graphs in the drawers', () => {
  test('graphOf labels every box like draw_dot: op, data, grad', () => {
    const { a, b, c } = small();
    c.backward({ retainGraph: true });
    const g = graphOf(c, { names: { a, b, c } });
    expect(g.nodes.map((n) => [n.kind, n.title, ...n.lines].join('|'))).toEqual([
      'param|a|data 2|grad -2',
      'param|b|data -3|grad 4',
      'op|mul|data -6|grad 2',
      'const|const|data 10',
      'op|add|data 4|grad 2',
      'op|mul → c|data 8|grad 1',
    ]);
    // a feeds both muls; arrows are not duplicated.
    const title = new Map(g.nodes.map((n) => [n.id, n.title]));
    expect(g.edges.map((e) => `${title.get(e.from)}>${title.get(e.to)}`)).toEqual(['a>mul', 'b>mul', 'mul>add', 'const>add', 'add>mul → c', 'a>mul → c']);
    expect(g.nodes.filter((n) => n.isRoot).map((n) => n.title)).toEqual(['mul → c']);
    const x = value(3);
    const sq = x.mul(x);
    expect(graphOf(sq).edges).toHaveLength(1);
  });

  test('toDot, toMermaid and toSvg take a Value', async () => {
    const { yhat, L, z } = neuron(1);
    const dot = toDot(L, { names: { z, 'ŷ': yhat, L } });
    expect(dot).toContain('label="sigmoid → ŷ\\ndata 0.7109\\ngrad 0"');
    expect(toMermaid(L)).toContain('(["sigmoid<br/>data 0.7109<br/>grad 0"])');
    L.backward({ retainGraph: true });
    const svg = await toSvg(L, { names: { z, 'ŷ': yhat, L } });
    expect(svg).toContain('<svg');
    expect(svg).toContain('>sigmoid → ŷ<');
    // ∂L/∂z = ŷ − t appears in z's box.
    expect(svg).toContain(`>grad ${Number((yhat.data - 1).toPrecision(4))}<`.replace('-', '&#45;'));
  });

  test('drawing a released Value graph is a GradError', () => {
    const { c } = small();
    c.backward();
    expect(() => toDot(c)).toThrowErrorMatchingInlineSnapshot(
      `[GradError: valueGraph: the graph behind this value was released by backward(); draw it before backward() or pass { retainGraph: true }]`,
    );
  });
});

describe('explain on Values', () => {
  test.each([0, 1])('the trace sends ŷ − t to z (t = %i) and matches backward', (t) => {
    const n = neuron(t);
    const trace = explain(n.L, { names: { z: n.z, 'ŷ': n.yhat, L: n.L, w: n.w } });
    expect(trace.gradOf(n.z)).toBeCloseTo(n.yhat.data - t, 15);
    const last = trace.steps[trace.steps.length - 1]!;
    expect(last.op).toBe('mul');
    expect(trace.steps.find((s) => s.op === 'sigmoid')!.output).toBe('ŷ');
    expect(trace.toText()).toContain('step 1: neg → L []');
    // explain wrote no gradient and released nothing.
    expect(n.w.grad).toBe(0);
    n.L.backward();
    expect(trace.gradOf(n.w)).toBe(n.w.grad);
    expect(n.z.grad).toBeCloseTo(n.yhat.data - t, 15);
  });

  test('constants are named by their value and receive nothing', () => {
    const x = value(2);
    const y = x.mul(3);
    const text = explain(y, { names: { x, y } }).toText();
    expect(text).toContain('sends     ∂y/∂x += 3  (local ∂y/∂x = 3)');
    expect(text).toContain('sends     ∂y/∂const(3) += nothing (constant)');
    expect(explain(tensor([1], { requiresGrad: true }).sum()).steps).toHaveLength(1);
  });

  test('a constant root, or a released graph, is a GradError', () => {
    expect(() => explain(value(1, false))).toThrow(GradError);
    const { c } = small();
    c.backward();
    expect(() => explain(c as Value)).toThrowErrorMatchingInlineSnapshot(
      `[GradError: explain: the graph behind this value was already released by backward(); call explain before backward() or pass { retainGraph: true }]`,
    );
  });
});

describe('the CLI --scalar flag', () => {
  test('tapegrad explain --scalar traces the Value neuron and checks ŷ − t', async () => {
    const m = memoryIo();
    expect(await main(['explain', '--scalar'], m.io)).toBe(0);
    expect(m.stdout()).toContain('step 10: add → z []');
    expect(m.stdout()).toContain('They agree');
    const md = memoryIo();
    expect(await main(['explain', '--scalar', '--markdown'], md.io)).toBe(0);
    expect(md.stdout()).toContain('| step | op | rule |');
  });

  test('tapegrad graph --scalar draws the Value neuron with gradients', async () => {
    const m = memoryIo();
    expect(await main(['graph', '--scalar'], m.io)).toBe(0);
    expect(m.stdout()).toContain('label="add → z\\ndata 0.9\\ngrad -0.2891"');
    expect(m.stdout()).toContain('label="w\\ndata 0.8\\ngrad -0.4336"');
  });
});

test('explain writes no gradient, not even a retained one', () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.mul(3).retainGrad();
  const L = y.sum();
  explain(L);
  expect(y.grad).toBeNull();
  expect(x.grad).toBeNull();
  L.backward();
  expect(y.grad!.toArray()).toEqual([1, 1]);
  expect(x.grad!.toArray()).toEqual([3, 3]);
});
