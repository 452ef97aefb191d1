// nn on core's public API: training steps built once per engine, fit on any module with a loss, predictions from core's ops, one door for in-place changes.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  argmax, ArgumentError, GradError, mutate, noGrad, randn, sigmoid, softmax, tensor, type Tensor,
} from '@tapegrad/core';
import { Adam, autogradTrainStep, fastTrainStep, fit, Linear, MLP, Module, mseLoss, SGD, uniform } from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** A model that is not an MLP: two linear layers and a tanh, with a squared-error loss. */
class TinyRegressor extends Module {
  readonly first = this.registerModule('first', new Linear(2, 8, { seed: 1 }));
  readonly second = this.registerModule('second', new Linear(8, 1, { seed: 2 }));
  forward(x: Tensor): Tensor {
    return this.second.forward(this.first.forward(x).tanh());
  }
  loss(x: Tensor, y: Tensor): Tensor {
    return mseLoss(this.forward(x), y.reshape([y.shape[0]!, 1]));
  }
}

describe('fit with training steps', () => {
  test('trains a module that is not an MLP (autograd by default), and refuses the fast path for it', () => {
    const x = randn([64, 2], { seed: 3 });
    const y = noGrad(() => x.slice(1, 0, 1).mul(0.5).sub(x.slice(1, 1, 2).mul(0.25)).reshape([64]));
    const model = new TinyRegressor();
    const h = fit(model, { x, y }, { epochs: 30, lr: 0.02, batchSize: 16 });
    expect(h.engine).toBe('autograd');
    expect(h.epochs.at(-1)!.loss).toBeLessThan(h.epochs[0]!.loss / 4);
    expect(Number.isNaN(h.epochs[0]!.accuracy)).toBe(true);
    expect(() => fit(new TinyRegressor(), { x, y }, { engine: 'fast' })).toThrow(ArgumentError);
  });

  test('a step of your own replaces the engine, and the loop only calls it', () => {
    const net = new MLP({ sizes: [2, 3, 1], seed: 1 });
    const inner = autogradTrainStep(net);
    let calls = 0;
    const x = randn([20, 2], { seed: 2 });
    const y = tensor(Array.from({ length: 20 }, (_, i) => i % 2));
    fit(net, { x, y }, { epochs: 2, batchSize: 10, step: (xb, yb) => (calls++, inner(xb, yb)) });
    expect(calls).toBe(4);
  });

  test('the fast and the autograd step give the same loss, classes and gradients on one batch', () => {
    const x = randn([6, 3], { seed: 4 });
    const y = tensor([0, 1, 2, 1, 0, 2]);
    const a = new MLP({ sizes: [3, 5, 3], output: 'softmax', seed: 9 });
    const b = new MLP({ sizes: [3, 5, 3], output: 'softmax', seed: 9 });
    const ra = fastTrainStep(a)(x, y);
    const rb = autogradTrainStep(b)(x, y);
    expect(ra.loss).toBeCloseTo(rb.loss, 12);
    expect(Array.from(ra.predicted)).toEqual(Array.from(rb.predicted));
    a.parameters().forEach((p, i) => {
      const q = b.parameters()[i]!;
      p.grad!.data.forEach((v, j) => expect(v).toBeCloseTo(q.grad!.data[j]!, 12));
    });
  });
});

describe('MLP.predict uses core’s ops', () => {
  test('sigmoid and softmax outputs are bit for bit core’s, and classes are core’s argmax', () => {
    const x = randn([7, 4], { seed: 5 });
    const s = new MLP({ sizes: [4, 6, 1], output: 'sigmoid', seed: 2 });
    expect(Array.from(s.predict(x).data)).toEqual(Array.from(noGrad(() => sigmoid(s.forward(x))).data));
    const m = new MLP({ sizes: [4, 6, 3], output: 'softmax', seed: 2 });
    const p = m.predict(x);
    expect(Array.from(p.data)).toEqual(Array.from(noGrad(() => softmax(m.forward(x), -1)).data));
    expect(Array.from(m.predictClasses(x))).toEqual(Array.from(argmax(p, 1).data));
  });
});

describe('one door for in-place changes', () => {
  test('mutate writes, bumps the version, and refuses a tensor that requires grad while recording', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    expect(() => mutate(w, (d) => d.fill(0))).toThrow(GradError);
    expect(w.version).toBe(0);
    expect(noGrad(() => mutate(w, (d) => ((d[0] = 5), d.length)))).toBe(2);
    expect(w.toArray()).toEqual([5, 2]);
    expect(w.version).toBe(1);
  });

  test('an optimizer step, an initialiser and loadStateDict all bump versions, so a stale graph refuses backward', () => {
    const net = new MLP({ sizes: [2, 2, 1], seed: 1 });
    const [w] = net.parameters();
    const x = tensor([[1, 2]]);
    const before = w!.version;
    const stale = net.loss(x, tensor([1]));
    net.loss(x, tensor([1])).backward();
    new SGD(net.parameters(), { lr: 0.1 }).step();
    expect(w!.version).toBe(before + 1);
    expect(() => stale.backward()).toThrow(/modified by an inplace operation/);
    uniform(w!, -1, 1, { seed: 3 });
    expect(w!.version).toBe(before + 2);
    net.loadStateDict(net.stateDict());
    expect(w!.version).toBe(before + 3);
    const opt = new Adam(net.parameters());
    net.loss(x, tensor([1])).backward();
    opt.step();
    expect(w!.version).toBe(before + 4);
  });
});

describe('nn uses core’s public API only', () => {
  /** Names core marks @internal: exported declarations whose TSDoc says so. */
  const internalNames = (): Set<string> => {
    const names = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export (?:declare )?(?:abstract )?(?:function|const|let|class|interface|type) (\w+)/g;
          for (const m of readFileSync(p, 'utf8').matchAll(re)) if (m[1]!.includes('@internal')) names.add(m[2]!);
        }
      }
    };
    walk(join(ROOT, 'packages/core/src'));
    return names;
  };

  test('no nn file imports an @internal core name, calls Tensor.fromData or bumps versions by hand', () => {
    const internal = internalNames();
    expect(internal.has('computeGrads')).toBe(true); // the scan finds internal names at all
    expect(internal.has('tensor')).toBe(false);
    const problems: string[] = [];
    const dir = join(ROOT, 'packages/nn/src');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/import (?:type )?\{([^}]*)\} from '@tapegrad\/core'/g)) {
        for (const spec of m[1]!.split(',')) {
          const name = spec.replace(/\btype\b/, '').split(/\bas\b/)[0]!.trim();
          if (name !== '' && internal.has(name)) problems.push(`${f}: imports @internal ${name}`);
        }
      }
      if (/\.fromData\(/.test(text)) problems.push(`${f}: calls Tensor.fromData`);
      if (/\.bumpVersion\(/.test(text)) problems.push(`${f}: calls bumpVersion by hand`);
    }
    expect(problems).toEqual([]);
  });

  test('bumpVersion is core-internal: marked @internal, and no other package, script, test or guide calls it', () => {
    const tensorSrc = readFileSync(join(ROOT, 'packages/core/src/graph/tensor.ts'), 'utf8');
    expect(tensorSrc).toMatch(/\/\*\*(?:(?!\*\/)[\s\S])*@internal(?:(?!\*\/)[\s\S])*\*\/\s*bumpVersion\(\): void/);
    const callers: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (!['node_modules', 'dist', 'api'].includes(e.name)) walk(p);
        } else if (/\.(ts|md)$/.test(e.name) && /\.bumpVersion\(/.test(readFileSync(p, 'utf8'))) callers.push(p.slice(ROOT.length + 1));
      }
    };
    for (const d of ['packages/nn/src', 'packages/cli/src', 'packages/bench/src', 'packages/viz/src', 'scripts', 'test', 'docs']) walk(join(ROOT, d));
    expect(callers).toEqual([]);
  });
});
