import { ArgumentError, mutate, noGrad, ShapeError, type Tensor } from '@tapegrad/core';
import { fmt } from './util.ts';

/**
 * How a state dict writes an element JSON cannot hold: `JSON.stringify` would turn NaN and ±Infinity
 * into `null`, which cannot be loaded back (a diverged run's weights could not be inspected).
 * @category nn
 */
export type NonFiniteName = 'NaN' | 'Infinity' | '-Infinity';

/** One entry of a state dict: a parameter's shape and its elements, row-major, as plain JSON. @category nn */
export interface TensorState {
  /** The tensor's shape. */
  shape: number[];
  /** The elements, row-major; NaN and ±Infinity are written as the strings `'NaN'`, `'Infinity'`, `'-Infinity'`. */
  data: (number | NonFiniteName)[];
}

const NON_FINITE: ReadonlyMap<unknown, number> = new Map([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
]);

/** An element as a state dict writes it: itself, or the name of a non-finite value. */
function encodeElement(v: number): number | NonFiniteName {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * A module's parameters and buffers (running statistics such as BatchNorm's `runningMean`) by dotted name
 * (`'0.weight'`, `'1.runningVar'`), as plain JSON (`JSON.stringify` round-trips it).
 * @category nn
 */
export type StateDict = Record<string, TensorState>;

/**
 * Base class of layers and networks, as PyTorch's `nn.Module`: a module owns parameters (tensors with
 * `requiresGrad`) and child modules, registered by name, and computes `forward(x)`.
 * @example
 * ```ts
 * import { Linear } from '@tapegrad/nn';
 * const layer = new Linear(3, 2, { seed: 1 });
 * console.log(layer.namedParameters().map(([name]) => name)); // ['weight', 'bias']
 * ```
 * @category nn
 */
export abstract class Module {
  /** Training mode (the default) or evaluation mode; see {@link Module.train}, {@link Module.eval}. */
  isTraining = true;
  #params: Map<string, Tensor> = new Map();
  #buffers: Map<string, Tensor> = new Map();
  #children: Map<string, Module> = new Map();

  /**
   * The module's computation.
   * @param x The input batch, examples as rows.
   * @returns The output batch.
   */
  abstract forward(x: Tensor): Tensor;

  /**
   * Registers a parameter under `name`; it becomes trainable (`requiresGrad`).
   * @param name The parameter's name within this module.
   * @param t The tensor.
   * @returns The tensor.
   */
  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    this.#params.set(name, t);
    return t;
  }

  /**
   * Registers a buffer under `name`: state that is saved in the state dict but not trained (no `requiresGrad`),
   * such as BatchNorm's running statistics.
   * @param name The buffer's name within this module.
   * @param t The tensor.
   * @returns The tensor.
   */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.#buffers.set(name, t);
    return t;
  }

  /**
   * Registers a child module under `name`; its parameters appear as `name.param`.
   * @param name The child's name.
   * @param m The child.
   * @returns The child.
   */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  /** The direct children, by name. */
  children(): [string, Module][] {
    return [...this.#children];
  }

  /**
   * Every parameter of this module and its descendants, with dotted names, in registration order; a
   * parameter shared by several modules (tied weights) appears once, under the first name it is found by.
   * @param prefix Prepended to every name.
   * @returns Pairs `[name, tensor]`.
   */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    // A shared (tied) parameter is listed once, under its first name (as PyTorch does), so an optimizer
    // does not update it twice per step.
    const seen = new Set<Tensor>();
    const walk = (m: Module, at: string): void => {
      for (const [name, p] of m.#params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([at + name, p]);
      }
      for (const [name, c] of m.#children) walk(c, `${at}${name}.`);
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Every buffer of this module and its descendants, with dotted names, in registration order.
   * @param prefix Prepended to every name.
   * @returns Pairs `[name, tensor]`.
   */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [name, b] of this.#buffers) out.push([prefix + name, b]);
    for (const [name, m] of this.#children) out.push(...m.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Every parameter, in the order of {@link Module.namedParameters}. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Clears every parameter's gradient (`grad = null`), before the next backward pass. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * Sets training mode (or evaluation mode with `false`) on this module and its descendants.
   * @param mode True for training.
   * @returns This module.
   */
  train(mode = true): this {
    this.isTraining = mode;
    for (const [, m] of this.#children) m.train(mode);
    return this;
  }

  /** Sets evaluation mode; the same as `train(false)`. @returns This module. */
  eval(): this {
    return this.train(false);
  }

  /** The parameters, then the buffers, as plain JSON: `{ name: { shape, data } }`. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, p] of [...this.namedParameters(), ...this.namedBuffers()]) out[name] = { shape: [...p.shape], data: Array.from(p.data, encodeElement) };
    return out;
  }

  /**
   * Copies a state dict into the parameters and buffers, in place (under `noGrad`, bumping each version).
   * Every entry is checked before anything is written, so a bad state dict changes nothing.
   * @param state As produced by {@link Module.stateDict}, possibly through `JSON.parse`.
   * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for missing or unexpected entries, or malformed data.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} for an entry whose shape differs from the parameter's.
   */
  loadStateDict(state: StateDict): void {
    if (typeof state !== 'object' || state === null) {
      throw new ArgumentError(`loadStateDict: state must be an object of { shape, data } entries, got ${state === null ? 'null' : typeof state}`);
    }
    const params = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...params.keys()].filter((k) => !(k in state));
    const extra = Object.keys(state).filter((k) => !params.has(k));
    if (missing.length > 0 || extra.length > 0) {
      const parts = [];
      if (missing.length > 0) parts.push(`missing ${missing.map((k) => `'${k}'`).join(', ')}`);
      if (extra.length > 0) parts.push(`unexpected ${extra.map((k) => `'${k}'`).join(', ')}`);
      throw new ArgumentError(`loadStateDict: entries must match the parameters and buffers, got ${parts.join('; ')}`);
    }
    for (const [name, p] of params) {
      const e = state[name]!;
      if (typeof e !== 'object' || e === null || !Array.isArray(e.shape) || !Array.isArray(e.data)) {
        throw new ArgumentError(`loadStateDict: entry '${name}' must be { shape: number[], data: number[] }, got ${JSON.stringify(e)?.slice(0, 60)}`);
      }
      if (fmt(e.shape) !== fmt(p.shape)) {
        throw new ShapeError(`loadStateDict: entry '${name}' must have shape ${fmt(p.shape)}, got ${fmt(e.shape)}`);
      }
      if (e.data.length !== p.size) {
        throw new ShapeError(`loadStateDict: entry '${name}' must have ${p.size} elements for shape ${fmt(p.shape)}, got ${e.data.length}`);
      }
      const bad = e.data.findIndex((v) => typeof v !== 'number' && !NON_FINITE.has(v));
      if (bad >= 0) {
        const v = e.data[bad];
        throw new ArgumentError(
          `loadStateDict: entry '${name}' must hold numbers (or 'NaN', 'Infinity', '-Infinity'), got ${v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : typeof v} at index ${bad}`,
        );
      }
    }
    noGrad(() => {
      for (const [name, p] of params) {
        const data = state[name]!.data;
        mutate(p, (d) => {
          for (let i = 0; i < data.length; i++) {
            const v = data[i]!;
            d[i] = typeof v === 'number' ? v : NON_FINITE.get(v)!;
          }
        });
      }
    });
  }
}
