import { backward, binaryCrossEntropy, explain, GradError, mulInPlace, noGrad, tensor, Trace } from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

/** The seed's neuron on a batch: z → σ → binary cross-entropy (summed), written with generic ops. */
function neuron() {
  const z = tensor([0.5, -1, 2, 0.1], { requiresGrad: true });
  const t = tensor([1, 0, 1, 0]);
  const yhat = z.sigmoid();
  const perSample = t.mul(yhat.log()).add(t.neg().add(1).mul(yhat.neg().add(1).log())).neg();
  const loss = perSample.sum();
  return { z, t, yhat, loss };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 12);
};

describe('explain', () => {
  test('the neuron: ∂L/∂ŷ = −t/ŷ + (1 − t)/(1 − ŷ), ∂ŷ/∂z = ŷ(1 − ŷ), product ŷ − t', () => {
    const { z, t, yhat, loss } = neuron();
    const trace = explain(loss, { names: { z, t, 'ŷ': yhat, L: loss } });
    const sig = trace.steps.find((s) => s.op === 'sigmoid')!;
    expect(sig.output).toBe('ŷ');
    expect(sig.rule).toContain('y·(1 − y)');
    const y = yhat.data;
    const td = t.data;
    close(sig.dy.data, Array.from(y, (v, i) => -td[i]! / v + (1 - td[i]!) / (1 - v)));
    const local = sig.sends[0]!.local as ReturnType<typeof tensor>;
    close(local.data, Array.from(y, (v) => v * (1 - v)));
    close(sig.sends[0]!.grad!.data, Array.from(y, (v, i) => v - td[i]!));
    close(trace.gradOf(z)!.data, Array.from(y, (v, i) => v - td[i]!));
    // The last step is the sigmoid: every use of ŷ has contributed before it runs.
    expect(trace.steps.at(-1)!.op).toBe('sigmoid');
  });

  test('agrees with backward and leaves the graph and .grad alone', () => {
    const { z, loss } = neuron();
    const trace = explain(loss);
    expect(z.grad).toBeNull();
    backward(loss);
    close(trace.gradOf(z)!.data, z.grad!.data);
  });

  test('broadcast inputs get gradients summed back to their shape', () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const b = tensor([0.5, -0.5], { requiresGrad: true });
    const x = tensor([[1, 0], [0, 1], [1, 1]]);
    const y = x.matmul(w).add(b).tanh().sum();
    const trace = explain(y, { names: { w, b } });
    const add = trace.steps.find((s) => s.op === 'add')!;
    expect(add.sends[1]!.input).toBe('b');
    expect(add.sends[1]!.grad!.shape).toEqual([2]);
    y.backward();
    close(trace.gradOf(w)!.data, w.grad!.data);
    close(trace.gradOf(b)!.data, b.grad!.data);
  });

  test('text and markdown forms', () => {
    const z = tensor([0, 1], { requiresGrad: true });
    const y = z.mul(z).sum();
    const trace = explain(y, { names: { z, y } });
    expect(trace).toBeInstanceOf(Trace);
    expect(trace.toText()).toMatchInlineSnapshot(`
      "chain-rule trace of ∂y, 2 steps

      step 1: sum → y []
        rule      y = Σᵢ xᵢ over the axes, ∂y/∂xᵢ = 1 ⇒ dx = dy broadcast back over the summed axes
        incoming  ∂y/∂y = 1
        sends     ∂y/∂mul1 += [1, 1]

      step 2: mul → mul1 [2]
        rule      y = a·b, ∂y/∂a = b, ∂y/∂b = a ⇒ da = dy·b, db = dy·a
        incoming  ∂y/∂mul1 = [1, 1]
        sends     ∂y/∂z += [0, 1]  (local ∂mul1/∂z = [0, 1])
        sends     ∂y/∂z += [0, 1]  (local ∂mul1/∂z = [0, 1])"
    `);
    const md = trace.toMarkdown().split('\n');
    expect(md[0]).toBe('| step | op | rule | incoming ∂y/∂out | sends to each input |');
    expect(md).toHaveLength(4);
    expect(md[3]!.split(/(?<!\\)\|/)).toHaveLength(7);
  });

  test("throws backward's GradError when a saved tensor was changed in place (exp's output), and changes nothing", () => {
    const x = tensor([0.5, 1], { requiresGrad: true });
    const y = x.exp();
    const L = y.sum();
    noGrad(() => mulInPlace(y, 2));
    let fromBackward: unknown;
    try {
      L.backward(undefined, { retainGraph: true });
    } catch (e) {
      fromBackward = e;
    }
    expect(fromBackward).toBeInstanceOf(GradError);
    expect(() => explain(L)).toThrow(GradError);
    expect(() => explain(L)).toThrow((fromBackward as Error).message);
    expect((fromBackward as Error).message).toContain("backward of 'sum': input x (the output of 'exp' of shape [2], float64) was modified by an inplace operation");
    expect(x.grad).toBeNull();
  });

  test('runs hooks as backward does, so both report the hooked gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3);
    h.registerHook((g) => g.mul(10));
    const L = h.sum();
    const trace = explain(L);
    L.backward();
    expect(Array.from(trace.gradOf(x)!.data)).toEqual([30, 30]);
    expect(Array.from(x.grad!.data)).toEqual([30, 30]);
  });

  test('refuses a released graph and a constant root', () => {
    const z = tensor([1, 2], { requiresGrad: true });
    const y = z.exp().sum();
    y.backward();
    expect(() => explain(y)).toThrowErrorMatchingInlineSnapshot(`[GradError: explain: the graph through 'sum' was already released by backward(); call explain before backward() or pass { retainGraph: true }]`);
    expect(() => explain(tensor([1]))).toThrow(GradError);
  });
});

test('with the binaryCrossEntropy op, the loss step states ∂L/∂ŷ and sends it', () => {
  const z = tensor([0.5, -1, 2, 0.1], { requiresGrad: true });
  const t = tensor([1, 0, 1, 0]);
  const yhat = z.sigmoid();
  const L = binaryCrossEntropy(yhat, t, { reduction: 'sum' });
  const trace = explain(L, { names: { z, t, 'ŷ': yhat, L } });
  expect(trace.steps.map((s) => s.op)).toEqual(['sum', 'binaryCrossEntropy', 'sigmoid']);
  const loss = trace.steps[1]!;
  expect(loss.rule).toContain('∂ℓ/∂ŷ = (ŷ − t) / (ŷ·(1 − ŷ))');
  const y = yhat.data;
  const td = t.data;
  close(loss.sends[0]!.grad!.data, Array.from(y, (v, i) => -td[i]! / v + (1 - td[i]!) / (1 - v)));
  expect(loss.sends[1]!.grad).toBeNull();
  close(trace.steps[2]!.sends[0]!.grad!.data, Array.from(y, (v, i) => v - td[i]!));
});
