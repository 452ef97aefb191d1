/**
 * Replays the float64 PyTorch cases of `test/fixtures/nn-layers.json` (written by `test/fixtures/gen_nn_layers.py`)
 * through the nn layers: the state dict is loaded as PyTorch had it, then the output, the gradients of
 * sum(output · r) for a random r, and the buffers after the pass (BatchNorm's running statistics) must match at 1e-9.
 */
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '@tapegrad/core';
import {
  AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Embedding, LayerNorm, MaxPool2d, MultiheadAttention, TransformerBlock, type Module,
} from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

interface Flat {
  readonly shape: number[];
  readonly data: number[];
}
interface Case {
  readonly name: string;
  readonly layer: string;
  readonly args: Record<string, unknown>;
  readonly training: boolean;
  readonly state: Record<string, Flat>;
  readonly x: Flat & { kind: 'index' | 'real' };
  readonly r: Flat;
  readonly y: Flat;
  readonly grads: Record<string, Flat>;
  readonly buffersAfter: Record<string, Flat>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/nn-layers.json', import.meta.url), 'utf8')) as { cases: Case[] };
const TOL = 1e-9;

type Pair = number | [number, number];
const pair = (v: unknown): Pair => (Array.isArray(v) ? [v[0] as number, v[1] as number] : (v as number));

function build(c: Case): Module {
  const a = c.args;
  switch (c.layer) {
    case 'Conv2d':
      return new Conv2d(a.in as number, a.out as number, pair(a.kernelSize), {
        stride: pair(a.stride), padding: pair(a.padding), dilation: pair(a.dilation), groups: a.groups as number, bias: a.bias as boolean,
      });
    case 'MaxPool2d': return new MaxPool2d(pair(a.kernelSize), { stride: pair(a.stride), padding: pair(a.padding) });
    case 'AvgPool2d': return new AvgPool2d(pair(a.kernelSize), { stride: pair(a.stride), padding: pair(a.padding) });
    case 'LayerNorm': return new LayerNorm(a.normalizedShape as number[], { eps: a.eps as number });
    case 'BatchNorm1d': return new BatchNorm1d(a.numFeatures as number, { eps: a.eps as number, momentum: a.momentum as number });
    case 'BatchNorm2d': return new BatchNorm2d(a.numFeatures as number, { eps: a.eps as number, momentum: a.momentum as number });
    case 'Embedding': return new Embedding(a.numEmbeddings as number, a.embeddingDim as number);
    case 'MultiheadAttention': return new MultiheadAttention(a.embedDim as number, a.numHeads as number, { causal: a.causal as boolean });
    case 'TransformerBlock':
      return new TransformerBlock(a.dModel as number, a.numHeads as number, {
        dimFeedforward: a.dimFeedforward as number, activation: a.activation as 'gelu' | 'relu', causal: a.causal as boolean,
      });
    default: throw new Error(`unknown layer ${c.layer}`);
  }
}

function expectClose(actual: ArrayLike<number>, expected: Flat, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.data.length);
  let worst = 0;
  expected.data.forEach((e, i) => (worst = Math.max(worst, Math.abs(actual[i]! - e) / (1 + Math.abs(e)))));
  expect(worst, `${what}: worst |tapegrad − PyTorch| / (1 + |PyTorch|)`).toBeLessThanOrEqual(TOL);
}

describe('nn layers replay PyTorch (float64)', () => {
  test('the fixture covers every new layer, and BatchNorm in train and eval mode', () => {
    const kinds = new Set(fixture.cases.map((c) => c.layer));
    expect([...kinds].sort()).toEqual(['AvgPool2d', 'BatchNorm1d', 'BatchNorm2d', 'Conv2d', 'Embedding', 'LayerNorm', 'MaxPool2d', 'MultiheadAttention', 'TransformerBlock']);
    expect(fixture.cases.filter((c) => c.layer.startsWith('BatchNorm')).map((c) => c.training)).toEqual([true, false, true, false, true, false]);
  });

  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const layer = build(c);
    layer.loadStateDict(c.state);
    layer.train(c.training);
    const x: Tensor = tensor(c.x.data, { shape: c.x.shape, requiresGrad: c.x.kind === 'real' });
    const y = layer.forward(x);
    expect(y.shape).toEqual(c.y.shape);
    expectClose(y.data, c.y, 'output');
    y.mul(tensor(c.r.data, { shape: c.r.shape })).sum().backward();
    const params = new Map(layer.namedParameters());
    for (const [name, g] of Object.entries(c.grads)) {
      const t = name === 'x' ? x : params.get(name);
      expect(t, `parameter ${name}`).toBeDefined();
      expectClose(t!.grad!.data, g, `grad of ${name}`);
    }
    const buffers = new Map(layer.namedBuffers());
    for (const [name, b] of Object.entries(c.buffersAfter)) expectClose(buffers.get(name)!.data, b, `buffer ${name}`);
  });
});
