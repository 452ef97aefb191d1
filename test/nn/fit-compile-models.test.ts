// fit({ compile: true }) on models built from convolutions, batch norm, dropout, embeddings and layer
// norm: the compiled step trains the same trajectory as eager autograd.
import { crossEntropy, randn, Rng, tensor, type Tensor } from '@tapegrad/core';
import { BatchNorm2d, Conv2d, Dropout, Embedding, fit, Flatten, LayerNorm, Linear, MaxPool2d, Module, Sequential, Activation } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

class TinyCnn extends Module {
  readonly net: Sequential;
  constructor() {
    super();
    this.net = this.registerModule('net', new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 1 }),
      new BatchNorm2d(4),
      new Activation('relu'),
      new MaxPool2d(2),
      new Flatten(),
      new Dropout(0.25, { seed: 3 }),
      new Linear(36, 3, { seed: 2 }),
    ));
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(x.reshape([x.shape[0]!, 1, 6, 6]));
  }
  loss(x: Tensor, y: Tensor): Tensor {
    return crossEntropy(this.forward(x), y);
  }
}

class TinyTagger extends Module {
  readonly embed = this.registerModule('embed', new Embedding(12, 8, { seed: 4 }));
  readonly norm = this.registerModule('norm', new LayerNorm(8));
  readonly head = this.registerModule('head', new Linear(8, 2, { seed: 5 }));
  loss(x: Tensor, y: Tensor): Tensor {
    // x: token ids [n, 5]; the mean of the normalized embeddings feeds the head.
    return crossEntropy(this.head.forward(this.norm.forward(this.embed.forward(x)).mean(1)), y);
  }
}

function images(n: number, seed: number) {
  const rng = new Rng(seed);
  const labels = Array.from({ length: n }, () => Math.floor(rng.uniform() * 3));
  const x = randn([n, 36], { seed }).add(tensor(labels.flatMap((l) => Array.from({ length: 36 }, (_, i) => (i % 3 === l ? 1 : 0))), { shape: [n, 36] }));
  return { x, y: tensor(labels) };
}

describe('fit({ compile: true }) beyond MLPs', () => {
  test('a CNN with batch norm and dropout: the losses, the weights and the running statistics of eager autograd', () => {
    const data = images(40, 7);
    const eagerModel = new TinyCnn();
    const compiledModel = new TinyCnn();
    const eager = fit(eagerModel, data, { engine: 'autograd', epochs: 3, batchSize: 16, lr: 0.05, optimizer: 'sgd', seed: 1 });
    const compiled = fit(compiledModel, data, { compile: true, epochs: 3, batchSize: 16, lr: 0.05, optimizer: 'sgd', seed: 1 });
    compiled.epochs.forEach((e, i) => expect(Math.abs(e.loss - eager.epochs[i]!.loss)).toBeLessThan(1e-12));
    const pe = eagerModel.parameters();
    compiledModel.parameters().forEach((p, i) => {
      const d = Math.max(...Array.from(p.data, (v, j) => Math.abs(v - pe[i]!.data[j]!)));
      expect(d).toBeLessThan(1e-12);
    });
    const bn = (m: TinyCnn) => m.net.modules[1] as BatchNorm2d;
    expect(Array.from(bn(compiledModel).runningMean.data)).toEqual(Array.from(bn(eagerModel).runningMean.data));
    expect(Array.from(bn(compiledModel).runningVar.data)).toEqual(Array.from(bn(eagerModel).runningVar.data));
    expect(compiled.epochs.at(-1)!.loss).toBeLessThan(compiled.epochs[0]!.loss);
  });

  test('an embedding + layer norm model whose token ids change every batch', () => {
    const rng = new Rng(9);
    const ids = Array.from({ length: 48 * 5 }, () => Math.floor(rng.uniform() * 12));
    const y = Array.from({ length: 48 }, (_, i) => (ids.slice(i * 5, i * 5 + 5).filter((t) => t < 6).length >= 3 ? 1 : 0));
    const data = { x: tensor(ids, { shape: [48, 5] }), y: tensor(y) };
    const a = new TinyTagger();
    const b = new TinyTagger();
    const eager = fit(a, data, { engine: 'autograd', epochs: 3, batchSize: 16, lr: 0.05, seed: 2 });
    const compiled = fit(b, data, { compile: true, epochs: 3, batchSize: 16, lr: 0.05, seed: 2 });
    compiled.epochs.forEach((e, i) => expect(Math.abs(e.loss - eager.epochs[i]!.loss)).toBeLessThan(1e-12));
    const d = Math.max(...Array.from(b.embed.weight.data, (v, j) => Math.abs(v - a.embed.weight.data[j]!)));
    expect(d).toBeLessThan(1e-12);
    expect(compiled.epochs.at(-1)!.loss).toBeLessThan(compiled.epochs[0]!.loss);
  });
});
