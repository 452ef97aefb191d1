/**
 * jax-js peers (`@jax-js/jax`, Wasm device), float32 or float64, eager or
 * under `jit`: W1 with `valueAndGrad` (the whole step, update included, is
 * what `jit` compiles), W2 with `np.matmul`, W4 with `grad` of the chain.
 *
 * Node 20 caveats, found by running it (also listed in the bench README):
 * - `init()` with no argument throws `ReferenceError: navigator is not defined`
 *   (it probes WebGPU through `navigator.gpu`), so only `'wasm'` is initialised.
 * - `np.array` checks `data instanceof Float16Array` before `Float64Array`, and
 *   Node 20 has no `Float16Array` global, so creating any float64 array from
 *   data throws `ReferenceError: Float16Array is not defined`. The float64
 *   variants therefore install a stand-in class under that name (only used
 *   for `instanceof`; nothing is ever created from it) — see `allowFloat64`.
 * - jax-js's Wasm backend evaluates unary transcendental functions (exp, log,
 *   sin, …) of float64 arrays in float32: it demotes, calls its float32 kernel
 *   and promotes back. So the float64 variants match the float64 reference
 *   only to float32 accuracy (~1e-7 relative), see `FLOAT64_TOLERANCE`.
 * - Node 20 has no global `Worker`, so jax-js runs its Wasm kernels on the
 *   main thread only (one core).
 */
import type * as JaxModule from '@jax-js/jax';
import type { Dtype, W1Data, W2Data, Workload } from '../harness.js';
import { BenchError } from '../harness.js';

type Jax = typeof JaxModule;
type JArray = JaxModule.numpy.Array;

/** Which jax-js variant to run. */
export interface JaxVariant {
  readonly dtype: Dtype;
  readonly isJit: boolean;
}

/** The loss-check tolerance of the float64 variants, and why it is not 1e-9. */
export const FLOAT64_TOLERANCE = {
  rel: 1e-4,
  reason: 'jax-js Wasm computes exp/log of float64 arrays in float32',
} as const;

let jaxModule: Promise<Jax> | undefined;

/**
 * Imports jax-js once and initialises its Wasm device.
 *
 * @returns the jax-js namespace
 * @throws BenchError when the Wasm device is unavailable
 */
export async function loadJax(): Promise<Jax> {
  jaxModule ??= (async () => {
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) {
      throw new BenchError(`jax-js: wasm device unavailable, got [${devices.join(', ')}]`);
    }
    jax.defaultDevice('wasm');
    return jax;
  })();
  return jaxModule;
}

/**
 * Lets jax-js create float64 arrays under Node 20 by defining a placeholder
 * `Float16Array` global if there is none (jax-js only tests `instanceof`
 * against it before reaching its `Float64Array` branch).
 *
 * @returns whether a placeholder had to be installed
 */
export function allowFloat64(): boolean {
  const g = globalThis as { Float16Array?: unknown };
  if (g.Float16Array !== undefined) return false;
  g.Float16Array = class Float16ArrayUnavailable {};
  return true;
}

/**
 * A label such as `jax-js float32 jit`.
 *
 * @param v - the variant
 * @returns the implementation name
 */
export function jaxEngineName(v: JaxVariant): string {
  return `jax-js ${v.dtype}${v.isJit ? ' jit' : ''}`;
}

function toArray(jax: Jax, v: JaxVariant, data: Float64Array, shape: number[]): JArray {
  const typed = v.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
  return jax.numpy.array(typed).reshape(shape);
}

async function prepare(v: JaxVariant): Promise<Jax> {
  const jax = await loadJax();
  if (v.dtype === 'float64') allowFloat64();
  return jax;
}

/**
 * W1 on jax-js: the step is `valueAndGrad` of the loss followed by the SGD
 * update, wrapped in `jit` for the jit variants. Arrays follow jax-js's
 * ownership rules: every argument is consumed, `.ref` keeps one alive.
 *
 * @param v - dtype and jit
 * @param data - W1's inputs
 * @returns the workload
 */
export function jaxW1(v: JaxVariant, data: W1Data): Workload {
  const { batch, lr } = data.size;
  const nLayers = data.layers.length;
  let params: JArray[] = [];
  let x: JArray | undefined;
  let y: JArray | undefined;
  let runStep: ((p: JArray[], x: JArray, y: JArray) => [JArray, JArray[]]) | undefined;
  let disposeStep: (() => void) | undefined;

  return {
    id: `W1 ${data.name}`,
    engine: jaxEngineName(v),
    dtype: v.dtype,
    ...(v.dtype === 'float64' ? { tolerance: FLOAT64_TOLERANCE } : {}),
    setup: async () => {
      const jax = await prepare(v);
      const { numpy: np, nn } = jax;
      const loss = (p: JArray[], input: JArray, target: JArray): JArray => {
        let h = input;
        for (let l = 0; l < nLayers; l++) {
          const w = p[2 * l]!;
          const b = p[2 * l + 1]!;
          h = nn.sigmoid(np.matmul(h, w.transpose()).add(b));
        }
        const prob = h;
        const logLik = target.ref
          .mul(np.log(prob.ref))
          .add(np.subtract(1, target).mul(np.log(np.subtract(1, prob))));
        return np.mean(logLik).neg();
      };
      const step = (p: JArray[], input: JArray, target: JArray): [JArray, JArray[]] => {
        const [value, grads] = jax.valueAndGrad(loss)(
          p.map((a) => a.ref),
          input,
          target,
        );
        return [value, p.map((a, i) => a.sub(grads[i]!.mul(lr)))];
      };
      if (v.isJit) {
        const compiled = jax.jit(step);
        runStep = compiled as unknown as typeof step;
        disposeStep = () => compiled.dispose();
      } else {
        runStep = step;
      }
      x = toArray(jax, v, data.x, [batch, data.size.in]);
      y = toArray(jax, v, data.y, [batch, 1]);
      params = data.layers.flatMap((l) => [
        toArray(jax, v, l.w, [l.out, l.in]),
        toArray(jax, v, l.b, [l.out]),
      ]);
    },
    step: () => {
      if (!runStep || !x || !y) throw new BenchError('jax-js W1: step before setup');
      const [value, next] = runStep(params, x.ref, y.ref);
      params = next;
      return value.item();
    },
    dispose: () => {
      for (const p of params) p.dispose();
      params = [];
      x?.dispose();
      y?.dispose();
      disposeStep?.();
    },
  };
}

/**
 * W2 on jax-js: `np.matmul(A, B)` (under `jit` for the jit variants), read
 * back in full.
 *
 * @param v - dtype and jit
 * @param data - W2's inputs
 * @returns the workload; `step` returns C[0, 0]
 */
export function jaxW2(v: JaxVariant, data: W2Data): Workload {
  const { n } = data;
  let a: JArray | undefined;
  let b: JArray | undefined;
  let matmul: ((p: JArray, q: JArray) => JArray) | undefined;
  let disposeMatmul: (() => void) | undefined;
  let last: ArrayLike<number> = [];
  return {
    id: `W2 n=${n}`,
    engine: jaxEngineName(v),
    dtype: v.dtype,
    setup: async () => {
      const jax = await prepare(v);
      const plain = (p: JArray, q: JArray): JArray => jax.numpy.matmul(p, q);
      if (v.isJit) {
        const compiled = jax.jit(plain);
        matmul = compiled as unknown as typeof plain;
        disposeMatmul = () => compiled.dispose();
      } else {
        matmul = plain;
      }
      a = toArray(jax, v, data.a, [n, n]);
      b = toArray(jax, v, data.b, [n, n]);
    },
    step: () => {
      if (!matmul || !a || !b) throw new BenchError('jax-js W2: step before setup');
      last = matmul(a.ref, b.ref).dataSync();
      return last[0]!;
    },
    output: () => last,
    dispose: () => {
      a?.dispose();
      b?.dispose();
      disposeMatmul?.();
    },
  };
}

/**
 * W4 on jax-js: `grad` of x ↦ (N times y·mul + add), at x0. The jit variant
 * compiles a fresh function every step: W4 measures recording and
 * differentiating a chain of N ops, and a cached compiled function would
 * only measure one call of the already-folded result.
 *
 * @param v - dtype and jit
 * @param n - chain length
 * @param mul - the multiplier
 * @param add - the addend
 * @param x0 - where to differentiate
 * @returns the workload; `step` returns dy/dx
 */
export function jaxW4(v: JaxVariant, n: number, mul: number, add: number, x0: number): Workload {
  let jax: Jax | undefined;
  let x: JArray | undefined;
  const chain = (input: JArray): JArray => {
    let y = input;
    for (let i = 0; i < n; i++) y = y.mul(mul).add(add);
    return y;
  };
  return {
    id: `W4 N=${n}`,
    engine: jaxEngineName(v),
    dtype: v.dtype,
    setup: async () => {
      jax = await prepare(v);
      x = toArray(jax, v, Float64Array.of(x0), []);
    },
    step: () => {
      if (!jax || !x) throw new BenchError('jax-js W4: step before setup');
      const g = jax.grad(chain) as (input: JArray) => JArray;
      if (!v.isJit) return g(x.ref).item();
      const compiled = jax.jit(g);
      try {
        return (compiled as unknown as typeof g)(x.ref).item();
      } finally {
        compiled.dispose();
      }
    },
    dispose: () => {
      x?.dispose();
    },
  };
}
