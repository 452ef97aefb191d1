/**
 * A micrograd-style scalar engine, the W3/W4 baseline: one object and one
 * backward closure per op, and a recursive topological sort in `backward`,
 * the way Karpathy's micrograd does it. It is deliberately naive; deep chains
 * overflow the call stack (W4 reports that).
 */

let recordedOps = 0;

/**
 * Resets the op counter.
 *
 * @returns the number of ops recorded since the last reset
 */
export function takeRecordedOps(): number {
  const n = recordedOps;
  recordedOps = 0;
  return n;
}

/** A scalar with a gradient, its inputs and the closure that back-propagates into them. */
export class RefValue {
  data: number;
  grad = 0;
  backwardFn: () => void = noop;
  readonly prev: readonly RefValue[];
  readonly op: string;

  constructor(data: number, prev: readonly RefValue[] = [], op = '') {
    this.data = data;
    this.prev = prev;
    this.op = op;
    if (op !== '') recordedOps++;
  }

  add(other: RefValue | number): RefValue {
    const o = lift(other);
    const out = new RefValue(this.data + o.data, [this, o], '+');
    // y = a + b  ⇒  da = dy, db = dy
    out.backwardFn = () => {
      this.grad += out.grad;
      o.grad += out.grad;
    };
    return out;
  }

  mul(other: RefValue | number): RefValue {
    const o = lift(other);
    const out = new RefValue(this.data * o.data, [this, o], '*');
    // y = a·b  ⇒  da = dy·b, db = dy·a
    out.backwardFn = () => {
      this.grad += o.data * out.grad;
      o.grad += this.data * out.grad;
    };
    return out;
  }

  pow(k: number): RefValue {
    const out = new RefValue(this.data ** k, [this], `**${k}`);
    // y = xᵏ  ⇒  dx = dy·k·xᵏ⁻¹
    out.backwardFn = () => {
      this.grad += k * this.data ** (k - 1) * out.grad;
    };
    return out;
  }

  relu(): RefValue {
    const out = new RefValue(this.data < 0 ? 0 : this.data, [this], 'ReLU');
    // y = max(0, x)  ⇒  dx = dy·[y > 0]; the subgradient at x = 0 is taken as 0, as in micrograd
    out.backwardFn = () => {
      this.grad += (out.data > 0 ? 1 : 0) * out.grad;
    };
    return out;
  }

  neg(): RefValue {
    return this.mul(-1);
  }

  sub(other: RefValue | number): RefValue {
    return this.add(lift(other).neg());
  }

  /** Back-propagates from this value: recursive topological sort, then the closures in reverse. */
  backward(): void {
    const topo: RefValue[] = [];
    const visited = new Set<RefValue>();
    const build = (v: RefValue): void => {
      if (visited.has(v)) return;
      visited.add(v);
      for (const child of v.prev) build(child);
      topo.push(v);
    };
    build(this);
    this.grad = 1;
    for (let i = topo.length - 1; i >= 0; i--) topo[i]!.backwardFn();
  }
}

function noop(): void {}

function lift(v: RefValue | number): RefValue {
  return typeof v === 'number' ? new RefValue(v) : v;
}

/**
 * Σ values, starting from the plain number 0 like Python's `sum`.
 *
 * @param values - the terms
 * @returns their sum as a `RefValue`
 */
export function sumValues(values: readonly RefValue[]): RefValue {
  let acc: RefValue = new RefValue(0);
  let isFirst = true;
  for (const v of values) {
    // Python's sum computes 0 + v₀ as v₀.__radd__(0): one recorded op.
    acc = isFirst ? v.add(0) : acc.add(v);
    isFirst = false;
  }
  return acc;
}

/** A neuron: relu(w·x + b) or the linear w·x + b. */
export interface RefNeuron {
  readonly w: readonly RefValue[];
  readonly b: RefValue;
  readonly isRelu: boolean;
}

/** An MLP of `RefNeuron` layers. */
export interface RefMlp {
  readonly layers: readonly (readonly RefNeuron[])[];
  readonly parameters: readonly RefValue[];
}

/**
 * Builds an MLP from given weights (`w` is `[out, in]` row-major); every
 * layer but the last applies relu.
 *
 * @param layers - initial parameters per layer
 * @returns the model
 */
export function createRefMlp(
  layers: readonly { in: number; out: number; w: Float64Array; b: Float64Array }[],
): RefMlp {
  const built = layers.map((l, li) =>
    Array.from({ length: l.out }, (_, j): RefNeuron => ({
      w: Array.from({ length: l.in }, (_, k) => new RefValue(l.w[j * l.in + k]!)),
      b: new RefValue(l.b[j]!),
      isRelu: li < layers.length - 1,
    })),
  );
  const parameters = built.flatMap((layer) => layer.flatMap((n) => [...n.w, n.b]));
  return { layers: built, parameters };
}

/**
 * Runs the MLP on one input, micrograd's way: `sum((wi*xi for ...), self.b)`.
 *
 * @param mlp - the model
 * @param x - the inputs
 * @returns the outputs of the last layer
 */
export function refMlpForward(mlp: RefMlp, x: readonly RefValue[]): RefValue[] {
  let h = x;
  for (const layer of mlp.layers) {
    h = layer.map((n) => {
      let act = n.b;
      for (let k = 0; k < n.w.length; k++) act = act.add(n.w[k]!.mul(h[k]!));
      return n.isRelu ? act.relu() : act;
    });
  }
  return [...h];
}
