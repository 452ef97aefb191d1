/**
 * tapegrad's own implementations: the generic `Tensor` engine (float64 or
 * float32) for W1, W2 and W4, and the scalar `Value` engine for W3 and W4.
 *
 * `@tapegrad/core` and `@tapegrad/nn` are imported lazily in `setup`, so the
 * peers still run when they cannot be resolved: they resolve to source only
 * under the `source` export condition (which `main.ts` makes sure of).
 */
import type * as CoreModule from '@tapegrad/core';
import type * as NnModule from '@tapegrad/nn';
import type { Dtype, W1Data, W2Data, W3Data, Workload } from '../harness.js';
import { BenchError } from '../harness.js';

type Core = typeof CoreModule;
type Nn = typeof NnModule;
type Tensor = CoreModule.Tensor;
type Value = CoreModule.Value;

let coreModule: Promise<Core> | undefined;
/** The loaded core, for the synchronous updates below. */
let core: Core | undefined;

/**
 * Imports `@tapegrad/core` once.
 *
 * @returns the core namespace
 * @throws BenchError when it resolves to an unbuilt `dist`
 */
export async function loadCore(): Promise<Core> {
  coreModule ??= import('@tapegrad/core').then((m) => (core = m), (e: unknown) => {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new BenchError(`@tapegrad/core did not load (run tsx with --conditions=source): ${reason}`);
  });
  return coreModule;
}

let nnModule: Promise<Nn> | undefined;

/**
 * Imports `@tapegrad/nn` once.
 *
 * @returns the nn namespace
 * @throws BenchError when it resolves to an unbuilt `dist`
 */
export async function loadNn(): Promise<Nn> {
  nnModule ??= import('@tapegrad/nn').catch((e: unknown) => {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new BenchError(`@tapegrad/nn did not load (run tsx with --conditions=source): ${reason}`);
  });
  return nnModule;
}

/**
 * The generic engine's name in the tables.
 *
 * @param dtype - the tensors' dtype
 * @returns e.g. `tapegrad generic float64`
 */
export function tapegradTensorName(dtype: Dtype): string {
  return `tapegrad generic ${dtype}`;
}

/** Engine name of the scalar engine. */
export const TAPEGRAD_VALUE = 'tapegrad Value';

/** p ← p − lr·∂L/∂p in place (through core's `mutate`, which bumps the version), then clears the gradient. */
export function sgdInPlace(params: readonly Tensor[], lr: number): void {
  if (core === undefined) throw new BenchError('tapegrad: sgdInPlace before @tapegrad/core was loaded');
  const { mutate, noGrad } = core;
  noGrad(() => {
    for (const p of params) {
      const g = p.grad;
      if (g === null) throw new BenchError(`tapegrad: no gradient for a parameter of shape [${p.shape.join(', ')}]`);
      const gd = g.data;
      mutate(p, (d) => {
        for (let i = 0; i < d.length; i++) d[i] = d[i]! - lr * gd[i]!;
      });
      p.grad = null;
    }
  });
}

/**
 * W1 on the generic tensor engine: the same forward as every engine, then
 * `backward()` and an in-place SGD update.
 *
 * @param dtype - float64 or float32
 * @param data - W1's inputs
 * @returns the workload
 */
export function tapegradW1(dtype: Dtype, data: W1Data): Workload {
  const { batch, lr } = data.size;
  let x: Tensor | undefined;
  let y: Tensor | undefined;
  let layers: { w: Tensor; b: Tensor }[] = [];
  let params: Tensor[] = [];
  return {
    id: `W1 ${data.name}`,
    engine: tapegradTensorName(dtype),
    dtype,
    setup: async () => {
      const { tensor } = await loadCore();
      x = tensor(data.x, { shape: [batch, data.size.in], dtype });
      y = tensor(data.y, { shape: [batch, 1], dtype });
      layers = data.layers.map((l) => ({
        w: tensor(l.w, { shape: [l.out, l.in], dtype, requiresGrad: true }),
        b: tensor(l.b, { shape: [l.out], dtype, requiresGrad: true }),
      }));
      params = layers.flatMap(({ w, b }) => [w, b]);
    },
    step: () => {
      if (!x || !y) throw new BenchError('tapegrad W1: step before setup');
      let h = x;
      for (const { w, b } of layers) h = h.matmul(w, { transposeB: true }).add(b).sigmoid();
      const p = h;
      // y·log p + (1 − y)·log(1 − p), written with the same ops as the other engines
      const logLik = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log()));
      const loss = logLik.mean().neg();
      loss.backward();
      sgdInPlace(params, lr);
      return loss.item();
    },
  };
}

/**
 * W1 on the generic engine, compiled: the same step (forward, loss, backward) traced once by `compile`
 * and replayed with planned buffers and fused elementwise loops; the SGD update runs in place, eagerly.
 *
 * @param dtype - float64 or float32
 * @param data - W1's inputs
 * @returns the workload
 */
export function tapegradCompiledW1(dtype: Dtype, data: W1Data): Workload {
  const { batch, lr } = data.size;
  let x: Tensor | undefined;
  let y: Tensor | undefined;
  let params: Tensor[] = [];
  let step: ((x: Tensor, y: Tensor) => number) | undefined;
  return {
    id: `W1 ${data.name}`,
    engine: `tapegrad compiled ${dtype}`,
    dtype,
    setup: async () => {
      const c = await loadCore();
      x = c.tensor(data.x, { shape: [batch, data.size.in], dtype });
      y = c.tensor(data.y, { shape: [batch, 1], dtype });
      const layers = data.layers.map((l) => ({
        w: c.tensor(l.w, { shape: [l.out, l.in], dtype, requiresGrad: true }),
        b: c.tensor(l.b, { shape: [l.out], dtype, requiresGrad: true }),
      }));
      params = layers.flatMap(({ w, b }) => [w, b]);
      step = c.compile((x: Tensor, y: Tensor): number => {
        let h = x;
        for (const { w, b } of layers) h = h.matmul(w, { transposeB: true }).add(b).sigmoid();
        const p = h;
        const logLik = y.mul(p.log()).add(y.neg().add(1).mul(p.neg().add(1).log()));
        const loss = logLik.mean().neg();
        for (const q of params) q.grad = null;
        loss.backward();
        return loss.item();
      });
    },
    step: () => {
      if (!x || !y || !step) throw new BenchError('tapegrad compiled W1: step before setup');
      const loss = step(x, y);
      sgdInPlace(params, lr);
      return loss;
    },
  };
}

/**
 * W1 on the hand-derived fast path of `@tapegrad/nn` (`fastGrad` writes
 * `.grad` of the `MLP`'s parameters without recording, as `fastStep` does
 * without copying the intermediates out), loaded with the shared initial
 * weights, then the same in-place SGD.
 *
 * @param dtype - float64 or float32
 * @param data - W1's inputs
 * @returns the workload
 */
export function tapegradFastW1(dtype: Dtype, data: W1Data): Workload {
  const { batch, lr } = data.size;
  let nn: Nn | undefined;
  let model: NnModule.MLP | undefined;
  let x: Tensor | undefined;
  let y: Tensor | undefined;
  let params: Tensor[] = [];
  return {
    id: `W1 ${data.name}`,
    engine: `tapegrad fast path${dtype === 'float32' ? ' float32' : ''}`,
    dtype,
    setup: async () => {
      const { mutate, noGrad, tensor } = await loadCore();
      nn = await loadNn();
      const sizes = [data.size.in, ...data.size.hidden, data.size.out];
      const net = new nn.MLP({ sizes, activation: 'sigmoid', output: 'sigmoid', dtype });
      params = [];
      data.layers.forEach((l, i) => {
        const layer = net.layers[i];
        if (!layer?.bias) throw new BenchError(`tapegrad fast path: layer ${i + 1} missing or without bias`);
        noGrad(() => {
          mutate(layer.weight, (d) => d.set(l.w));
          mutate(layer.bias!, (d) => d.set(l.b));
        });
        params.push(layer.weight, layer.bias);
      });
      model = net;
      x = tensor(data.x, { shape: [batch, data.size.in], dtype });
      y = tensor(data.y, { shape: [batch, 1], dtype });
    },
    step: () => {
      if (!nn || !model || !x || !y) throw new BenchError('tapegrad fast path W1: step before setup');
      const loss = nn.fastGrad(model, x, y);
      sgdInPlace(params, lr);
      return loss;
    },
  };
}

/**
 * W2 on the generic tensor engine: `a.matmul(b)` with gradients off.
 *
 * @param dtype - float64 or float32
 * @param data - W2's inputs
 * @returns the workload; `step` returns C[0, 0]
 */
export function tapegradW2(dtype: Dtype, data: W2Data): Workload {
  const { n } = data;
  let a: Tensor | undefined;
  let b: Tensor | undefined;
  let last: ArrayLike<number> = [];
  return {
    id: `W2 n=${n}`,
    engine: tapegradTensorName(dtype),
    dtype,
    setup: async () => {
      const { tensor } = await loadCore();
      a = tensor(data.a, { shape: [n, n], dtype });
      b = tensor(data.b, { shape: [n, n], dtype });
    },
    step: () => {
      if (!a || !b) throw new BenchError('tapegrad W2: step before setup');
      last = a.matmul(b).data;
      return last[0]!;
    },
    output: () => last,
  };
}

/**
 * W4 on the generic tensor engine, with a scalar (shape `[]`) tensor.
 *
 * @param dtype - float64 or float32
 * @param n - chain length
 * @param mul - the multiplier
 * @param add - the addend
 * @param x0 - where to differentiate
 * @returns the workload; `step` returns dy/dx
 */
export function tapegradTensorW4(dtype: Dtype, n: number, mul: number, add: number, x0: number): Workload {
  let core: Core | undefined;
  return {
    id: `W4 N=${n}`,
    engine: tapegradTensorName(dtype),
    dtype,
    setup: async () => {
      core = await loadCore();
    },
    step: () => {
      if (!core) throw new BenchError('tapegrad W4: step before setup');
      const x = core.tensor(x0, { dtype, requiresGrad: true });
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(mul).add(add);
      y.backward();
      const g = x.grad;
      if (g === null) throw new BenchError('tapegrad W4: x received no gradient');
      return g.item();
    },
  };
}

interface W3Neuron {
  readonly w: Value[];
  readonly b: Value;
  readonly isRelu: boolean;
}

/** W3's network as `Value` leaves, from the shared initial parameters. */
function w3Model(c: Core, data: W3Data): { layers: W3Neuron[][]; params: Value[] } {
  const layers = data.layers.map((l, li) =>
    Array.from({ length: l.out }, (_, j) => ({
      w: Array.from({ length: l.in }, (_, k) => c.value(l.w[j * l.in + k]!)),
      b: c.value(l.b[j]!),
      isRelu: li < data.layers.length - 1,
    })),
  );
  return { layers, params: layers.flatMap((layer) => layer.flatMap((n) => [...n.w, n.b])) };
}

/** W3's loss (hinge data loss + L2 penalty), the same program as the micrograd-style engine's, op for op. */
function w3Loss(c: Core, data: W3Data, layers: readonly W3Neuron[][], params: readonly Value[]): Value {
  let dataLoss: Value | undefined;
  for (let i = 0; i < data.y.length; i++) {
    let h: Value[] = [c.value(data.x[2 * i]!), c.value(data.x[2 * i + 1]!)];
    for (const layer of layers) {
      h = layer.map((neuron) => {
        let act = neuron.b;
        for (let k = 0; k < neuron.w.length; k++) act = act.add(neuron.w[k]!.mul(h[k]!));
        return neuron.isRelu ? act.relu() : act;
      });
    }
    const hinge = h[0]!.mul(-data.y[i]!).add(1).relu();
    // Python's sum(): 0 + first term is one recorded add, as in the reference.
    dataLoss = dataLoss === undefined ? hinge.add(0) : dataLoss.add(hinge);
  }
  let reg: Value | undefined;
  for (const p of params) {
    const sq = p.mul(p);
    reg = reg === undefined ? sq.add(0) : reg.add(sq);
  }
  if (!dataLoss || !reg) throw new BenchError('tapegrad W3: empty data or model');
  return dataLoss.mul(1 / data.y.length).add(reg.mul(data.alpha));
}

/**
 * W3 on tapegrad's `Value`: the same program as the micrograd-style engine.
 *
 * @param data - W3's inputs
 * @returns the workload
 */
export function tapegradW3(data: W3Data): Workload {
  let core: Core | undefined;
  let layers: W3Neuron[][] = [];
  let params: Value[] = [];
  return {
    id: 'W3',
    engine: TAPEGRAD_VALUE,
    dtype: 'float64',
    setup: async () => {
      core = await loadCore();
      ({ layers, params } = w3Model(core, data));
    },
    step: () => {
      if (!core) throw new BenchError('tapegrad W3: step before setup');
      const total = w3Loss(core, data, layers, params);
      for (const p of params) p.grad = 0;
      total.backward();
      for (const p of params) p.data -= data.lr * p.grad;
      return total.data;
    },
  };
}

/** Engine name of the compiled scalar engine. */
export const TAPEGRAD_VALUE_COMPILED = 'tapegrad Value compiled';

/**
 * W3 on tapegrad's `Value`, compiled: the same program, traced once by `compile` into straight-line
 * code; the SGD update runs outside the compiled function (compile refuses writes to `.data`).
 *
 * @param data - W3's inputs
 * @returns the workload
 */
export function tapegradW3Compiled(data: W3Data): Workload {
  let params: Value[] = [];
  let step: (() => Value) | undefined;
  return {
    id: 'W3',
    engine: TAPEGRAD_VALUE_COMPILED,
    dtype: 'float64',
    setup: async () => {
      const c = await loadCore();
      const model = w3Model(c, data);
      params = model.params;
      step = c.compile((): Value => {
        const total = w3Loss(c, data, model.layers, params);
        for (const p of params) p.grad = 0;
        total.backward();
        return total;
      });
    },
    step: () => {
      if (!step) throw new BenchError('tapegrad W3 compiled: step before setup');
      const total = step();
      for (const p of params) p.data -= data.lr * p.grad;
      return total.data;
    },
  };
}

/**
 * W4 on tapegrad's `Value`.
 *
 * @param n - chain length
 * @param mul - the multiplier
 * @param add - the addend
 * @param x0 - where to differentiate
 * @returns the workload; `step` returns dy/dx
 */
export function tapegradValueW4(n: number, mul: number, add: number, x0: number): Workload {
  let core: Core | undefined;
  return {
    id: `W4 N=${n}`,
    engine: TAPEGRAD_VALUE,
    dtype: 'float64',
    setup: async () => {
      core = await loadCore();
    },
    step: () => {
      if (!core) throw new BenchError('tapegrad W4: step before setup');
      const x = core.value(x0);
      let y = x;
      for (let i = 0; i < n; i++) y = y.mul(mul).add(add);
      y.backward();
      return x.grad;
    },
  };
}
