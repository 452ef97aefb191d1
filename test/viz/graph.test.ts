import { GradError, tensor, withScope, type Tensor } from '@tapegrad/core';
import { dotToSvg, graphOf, lossCurve, toDot, toMermaid, toSvg } from '@tapegrad/viz';
import { describe, expect, test } from 'vitest';

/** A two-layer network with each layer in a `Linear` scope inside an `MLP` scope. */
function mlp() {
  const x = tensor([[1, 2], [3, 4], [5, 6]]);
  const W1 = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], { requiresGrad: true });
  const b1 = tensor([0, 0.1, 0.2], { requiresGrad: true });
  const W2 = tensor([[1], [-1], [0.5]], { requiresGrad: true });
  const out = withScope('MLP', () => {
    const a = withScope('Linear', () => x.matmul(W1).add(b1)).tanh();
    return withScope('Linear', () => a.matmul(W2));
  });
  const loss = out.square().sum();
  return { x, W1, b1, W2, loss, names: { x, W1, b1, W2, loss } as Record<string, Tensor> };
}

describe('graphOf', () => {
  test('one box per op and per leaf, arrows in data-flow order', () => {
    const { loss, names } = mlp();
    const g = graphOf(loss, { names });
    expect(g.nodes.map((n) => `${n.kind}:${n.title}`)).toEqual([
      'const:x', 'param:W1', 'param:b1', 'param:W2',
      'op:matmul', 'op:add', 'op:tanh', 'op:matmul', 'op:square', 'op:sum → loss',
    ]);
    expect(g.edges).toHaveLength(9);
    const root = g.nodes.filter((n) => n.isRoot);
    expect(root.map((n) => n.title)).toEqual(['sum → loss']);
    // Small tensors show their values; large ones only their shape.
    expect(g.nodes.find((n) => n.title === 'b1')!.lines).toEqual(['[3]', 'data [0, 0.1, 0.2]']);
    expect(g.nodes.find((n) => n.title === 'W1')!.lines).toEqual(['[2, 3]']);
  });

  test('collapse groups scoped ops: by depth and by name', () => {
    const { loss, names } = mlp();
    const outer = graphOf(loss, { names, collapse: true });
    expect(outer.nodes.filter((n) => n.kind !== 'const' && n.kind !== 'param').map((n) => n.title)).toEqual(['MLP', 'square', 'sum → loss']);
    const layers = graphOf(loss, { names, collapse: ['Linear'] });
    expect(layers.nodes.filter((n) => n.kind === 'group' || n.kind === 'op').map((n) => n.title)).toEqual(['Linear', 'tanh', 'Linear', 'square', 'sum → loss']);
    const first = layers.nodes.find((n) => n.kind === 'group')!;
    expect(first.lines).toEqual(['[3, 3]']);
    const into = layers.edges.filter((e) => e.to === first.id).map((e) => layers.nodes.find((n) => n.id === e.from)!.title);
    expect(into.sort()).toEqual(['W1', 'b1', 'x']);
    expect(graphOf(loss, { collapse: 2 }).nodes.filter((n) => n.kind === 'group')).toHaveLength(2);
  });

  test('gradients show when the graph is retained', () => {
    const { loss, b1, names } = mlp();
    loss.backward(undefined, { retainGraph: true });
    const box = graphOf(loss, { names }).nodes.find((n) => n.title === 'b1')!;
    expect(box.lines[2]).toMatch(/^grad \[/);
    expect(b1.grad).not.toBeNull();
  });

  test('a released graph is refused with a hint', () => {
    const { loss } = mlp();
    loss.backward();
    expect(() => toDot(loss)).toThrowErrorMatchingInlineSnapshot(`[GradError: graph: the graph through 'sum' was released by backward(); draw it before backward() or pass { retainGraph: true }]`);
    expect(() => toDot(loss)).toThrow(GradError);
  });

  test('a long chain does not overflow the stack', () => {
    const one = tensor([1]);
    let y = tensor([1], { requiresGrad: true });
    for (let i = 0; i < 20_000; i++) y = y.mul(one);
    expect(graphOf(y).nodes).toHaveLength(20_002);
  });
});

describe('toDot and toMermaid', () => {
  test('DOT: direction, labels, root emphasis', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const dot = toDot(x.mul(x).sum(), { names: { x }, direction: 'TB' });
    expect(dot).toMatchInlineSnapshot(`
      "digraph tapegrad {
        rankdir=TB;
        bgcolor="transparent";
        node [fontname="Helvetica", fontsize=11];
        edge [color="#555555", arrowsize=0.7];
        n${x.id} [label="x\\n[2]\\ndata [1, 2]", shape=box, style=filled, fillcolor="#e6f4ea", color="#3c8d5a"];
        n${x.id + 1} [label="mul\\n[2]\\ndata [1, 4]", shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#4a6fa5"];
        n${x.id + 3} [label="sum\\n[]\\ndata 5", shape=box, style="rounded,filled", fillcolor="#e8f0fe", color="#4a6fa5", penwidth=2.5];
        n${x.id} -> n${x.id + 1};
        n${x.id + 1} -> n${x.id + 3};
      }"
    `);
  });

  test('Mermaid: shapes per kind and escaped labels', () => {
    const { loss, names } = mlp();
    const m = toMermaid(loss, { names: { ...names, 'a"b': names.x! }, collapse: ['Linear'] });
    expect(m.split('\n')[0]).toBe('flowchart LR');
    expect(m).toContain('[/"a#quot;b<br/>[3, 2]"/]');
    expect(m).toContain('[["Linear<br/>[3, 3]"]]');
    expect(m).toMatch(/\(\["<b>sum → loss<\/b><br\/>\[\]<br\/>data [\d.]+"\]\)/);
  });
});

describe('toSvg', () => {
  test('renders with the bundled Graphviz', async () => {
    const { loss, names } = mlp();
    const svg = await toSvg(loss, { names, collapse: ['Linear'] });
    expect(svg).toContain('<svg');
    expect(svg).toContain('>Linear<');
    expect(svg).toContain('>tanh<');
    expect((svg.match(/class="node"/g) ?? []).length).toBe(9);
  });

  test('bad DOT is an error', async () => {
    await expect(dotToSvg('digraph {')).rejects.toThrow(/syntax error/);
  });
});

describe('lossCurve', () => {
  test('both series, labelled axes, legend', () => {
    const svg = lossCurve([{ train: 1, test: 1.2 }, { train: 0.5, test: 0.7 }, { train: 0.25, test: 0.6 }], { title: 'XOR', yLabel: 'BCE' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>XOR</text>');
    expect(svg).toContain('>epoch</text>');
    expect(svg).toContain('>BCE</text>');
    expect(svg).toContain('class="series-train"');
    expect(svg).toContain('class="series-test"');
    const pts = svg.match(/class="series-train"[^>]*points="([^"]+)"/)![1]!.split(' ').map((p) => p.split(',').map(Number));
    expect(pts).toHaveLength(3);
    // y decreases with the loss: SVG's y axis points down.
    expect(pts[0]![1]!).toBeLessThan(pts[2]![1]!);
  });

  test('train only, arrays, log scale; bad input is refused', () => {
    const svg = lossCurve({ train: [10, 1, 0.1] }, { logScale: true });
    expect(svg).not.toContain('series-test');
    expect(svg).toContain('(log scale)');
    expect(() => lossCurve({ train: [] })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: lossCurve: history must have at least one epoch, got 0]`);
    expect(() => lossCurve({ train: [1, 0] }, { logScale: true })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: lossCurve: logScale needs positive losses, got 0 in train at epoch 2]`);
    expect(() => lossCurve({ train: [1, Number.NaN] })).toThrow(/must be finite/);
  });
});

test('lossCurve takes the history fit returns', () => {
  const svg = lossCurve({ epochs: [{ loss: 0.7, testLoss: Number.NaN }, { loss: 0.4, testLoss: Number.NaN }] });
  expect(svg).toContain('series-train');
  expect(svg).not.toContain('series-test');
  const both = lossCurve({ epochs: [{ loss: 0.7, testLoss: 0.8 }, { loss: 0.4, testLoss: 0.5 }] });
  expect(both).toContain('series-test');
});
