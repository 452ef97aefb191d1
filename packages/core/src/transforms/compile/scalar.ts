// compile for `Value` programs: the traced scalar graph becomes straight-line generated code for the
// forward pass, the backward pass (the same partials the scalar lane records) and gradient writes.
import type { ElementwiseOp, OpDef } from '../../ops/define.ts';
import { Value } from '../../graph/value.ts';
import { CompileError } from '../../base/errors.ts';

type Operand = number | { readonly c: number };

/** One step of a traced `Value` program. */
type ScalarNode =
  | { readonly kind: 'op'; readonly op: ElementwiseOp; readonly a: Operand; readonly b: Operand | null; readonly out: number }
  | { readonly kind: 'backward'; readonly root: number; readonly seed: number }
  | { readonly kind: 'setGrad'; readonly leaf: number; readonly g: number };

/** What a scalar value is at replay time. */
type ScalarSource = { readonly kind: 'leaf'; readonly v: Value; readonly arg: number } | { readonly kind: 'op'; readonly requiresGrad: boolean };

/** Records the `Value` ops of one eager run. */
export class ScalarTracer {
  readonly sources: ScalarSource[] = [];
  readonly nodes: ScalarNode[] = [];
  private readonly ids = new Map<Value, number>();
  private pending: { op: ElementwiseOp; a: Value | number; b: Value | number } | null = null;
  private pendingOp: ElementwiseOp | null = null;
  /** While an op reads its own operands, reads are not the user's. */
  private isInOp = false;
  private readonly reads: { id: number; at: number }[] = [];
  private readonly snapshots: { v: Value; data: number }[] = [];
  /** Leaves made inside the function (value(x)): constants of the trace. */
  private readonly madeInside = new WeakSet<Value>();
  /** The number each op output held in the traced run. */
  private readonly numbers: number[] = [];

  constructor(private readonly args: readonly Value[]) {
    args.forEach((v, i) => this.leaf(v, i));
  }

  get isEmpty(): boolean {
    return this.nodes.length === 0;
  }

  private leaf(v: Value, arg: number): number {
    const id = this.sources.length;
    this.sources.push({ kind: 'leaf', v, arg });
    this.ids.set(v, id);
    this.snapshots.push({ v, data: v.data });
    return id;
  }

  private operand(x: Value | number): Operand {
    if (typeof x === 'number') return { c: x };
    if (this.madeInside.has(x)) return { c: x.data };
    const id = this.ids.get(x);
    if (id !== undefined) return id;
    if (x.isLeaf) return this.leaf(x, -1);
    if (!x.requiresGrad) return { c: x.data };
    throw new CompileError(
      'compile: a Value computed outside the compiled function (not a leaf) is used inside it, so its gradient would have to flow back ' +
        'through a graph the function did not record; pass leaves, or compute it inside',
    );
  }

  onScalarOp(op: OpDef): void {
    this.pendingOp = op as ElementwiseOp;
    this.isInOp = true;
  }

  onScalarOperands(a: Value | number, b: Value | number): void {
    if (this.pendingOp !== null) this.pending = { op: this.pendingOp, a, b };
  }

  onScalarValue(v: Value): void {
    const p = this.pending;
    this.pending = null;
    this.pendingOp = null;
    this.isInOp = false;
    if (p === null) {
      // A leaf made inside the function (value(x)): its number is a constant of the trace.
      this.madeInside.add(v);
      return;
    }
    const a = this.operand(p.a);
    const b = p.op.arity === 1 ? null : this.operand(p.b);
    const out = this.sources.length;
    this.sources.push({ kind: 'op', requiresGrad: v.requiresGrad });
    this.ids.set(v, out);
    this.nodes.push({ kind: 'op', op: p.op, a, b, out });
    // Reads of this value's number by user code (a possible branch) are noticed; writes are refused.
    const data = v.data;
    this.numbers[out] = data;
    const tracer = this;
    Object.defineProperty(v, 'data', {
      configurable: true,
      enumerable: true,
      get(): number {
        if (!tracer.isInOp) tracer.reads.push({ id: out, at: tracer.nodes.length });
        return data;
      },
      set(): void {
        throw new CompileError('compile: the function wrote .data of a Value an op made; that is not compiled');
      },
    });
  }

  onScalarBackward(root: Value, seed: number): void {
    const id = this.ids.get(root);
    if (id === undefined || this.sources[id]!.kind !== 'op') return; // a leaf or constant: nothing to replay but eager's effect
    this.nodes.push({ kind: 'backward', root: id, seed });
  }

  onScalarGradWrite(v: Value, g: number): void {
    const id = this.ids.get(v) ?? (v.isLeaf ? this.leaf(v, -1) : undefined);
    if (id === undefined) return;
    this.nodes.push({ kind: 'setGrad', leaf: id, g });
  }

  /** Checks the finished trace and builds its plan. */
  finish(result: unknown): (args?: readonly Value[]) => unknown {
    const last = this.nodes.length;
    if (this.reads.some((r) => r.at < last)) {
      throw new CompileError(
        "compile: the function read .data of a Value an op made before its last operation, so it may branch on values, which a replay would not see; " +
          'read values only at the end, or pass { static: false } to run it eagerly',
      );
    }
    for (const s of this.snapshots) {
      if (!Object.is(s.v.data, s.data)) {
        throw new CompileError(
          'compile: the function changed .data of a leaf Value (a parameter update?), which is not compiled; ' +
            'make the update outside the compiled function',
        );
      }
    }
    let res: { kind: 'value' | 'number'; id: number } | null = null;
    if (result instanceof Value) {
      const id = this.ids.get(result);
      if (id === undefined) throw new CompileError('compile: the function returned a Value it did not compute');
      res = { kind: 'value', id };
    } else if (typeof result === 'number') {
      // A number read at the end: the value whose number it is (the most recent such).
      for (let i = this.nodes.length - 1; i >= 0 && res === null; i--) {
        const n = this.nodes[i]!;
        if (n.kind === 'op' && this.reads.some((r) => r.id === n.out) && Object.is(this.numbers[n.out], result)) res = { kind: 'number', id: n.out };
      }
      if (res === null) throw new CompileError('compile: a compiled Value function may return a Value, or the .data of one it computed, read at its end');
    } else if (result !== undefined) {
      throw new CompileError('compile: a compiled Value function may return a Value, or the .data of one it computed, read at its end');
    }
    return buildScalarPlan(this.sources, this.nodes, res);
  }
}

/**
 * The plan of a `Value` program: the trace as parallel typed arrays (op kind, operand registers or
 * constants, output register), run by two generated loops, one forward over a range of ops and one
 * backward over the ops that lead to a root. The loop bodies switch over the op kinds the program uses,
 * and each case calls that op's own forward and partials (the definitions the scalar lane records), so
 * every call site sees one function and is inlined; a loop over tens of thousands of ops becomes hot at
 * once, where straight-line code of that length would never be optimized.
 */
function buildScalarPlan(
  sources: readonly ScalarSource[],
  nodes: readonly ScalarNode[],
  res: { kind: 'value' | 'number'; id: number } | null,
): (args?: readonly Value[]) => unknown {
  const opsUsed: ElementwiseOp[] = [];
  const constants: number[] = [];
  const opNodes = nodes.filter((n): n is Extract<ScalarNode, { kind: 'op' }> => n.kind === 'op');
  const n = opNodes.length;
  const K = new Uint8Array(n);
  const A = new Int32Array(n);
  const B = new Int32Array(n);
  const O = new Int32Array(n);
  const requiresGrad = sources.map((s) => (s.kind === 'leaf' ? s.v.requiresGrad : s.requiresGrad));
  const RA = new Uint8Array(n);
  const RB = new Uint8Array(n);
  // Operands: a register (≥ 0) or a constant (−1 − its index).
  const enc = (o: Operand | null): number => (o === null ? -1 - (constants.push(0) - 1) : typeof o === 'number' ? o : -1 - (constants.push(o.c) - 1));
  const position = new Map<ScalarNode, number>();
  opNodes.forEach((m, i) => {
    let k = opsUsed.indexOf(m.op);
    if (k < 0) k = opsUsed.push(m.op) - 1;
    if (k > 255) throw new CompileError('compile: more than 256 kinds of op in one Value program');
    K[i] = k;
    A[i] = enc(m.a);
    B[i] = enc(m.b);
    O[i] = m.out;
    RA[i] = typeof m.a === 'number' && requiresGrad[m.a] ? 1 : 0;
    RB[i] = m.b !== null && typeof m.b === 'number' && requiresGrad[m.b] ? 1 : 0;
    position.set(m, i);
  });
  const C = Float64Array.from(constants);
  const leaves = sources.flatMap((src, id) => (src.kind === 'leaf' ? [{ id, v: src.v, arg: src.arg }] : []));

  // The program: forward ranges, gradient writes and backward passes, in the order the trace made them.
  type Segment =
    | { kind: 'forward'; from: number; to: number }
    | { kind: 'setGrad'; leaf: number; g: number }
    | { kind: 'backward'; root: number; seed: number; order: Int32Array; leaves: Int32Array };
  const segments: Segment[] = [];
  let from = 0;
  let count = 0;
  for (const node of nodes) {
    if (node.kind === 'op') {
      count++;
      continue;
    }
    if (count > from) segments.push({ kind: 'forward', from, to: count });
    from = count;
    if (node.kind === 'setGrad') {
      const at = leaves.findIndex((l) => l.id === node.leaf);
      if (at >= 0) segments.push({ kind: 'setGrad', leaf: at, g: node.g });
    } else {
      const reached = new Uint8Array(sources.length);
      reached[node.root] = 1;
      const order: number[] = [];
      for (let i = count - 1; i >= 0; i--) {
        if (reached[O[i]!] === 0) continue;
        order.push(i);
        if (RA[i] === 1) reached[A[i]!] = 1;
        if (RB[i] === 1) reached[B[i]!] = 1;
      }
      const reachedLeaves = leaves.flatMap((l, at) => (reached[l.id] === 1 && l.v.requiresGrad ? [at] : []));
      segments.push({ kind: 'backward', root: node.root, seed: node.seed, order: Int32Array.from(order), leaves: Int32Array.from(reachedLeaves) });
    }
  }
  if (count > from) segments.push({ kind: 'forward', from, to: count });

  const { forward, backward } = loops(opsUsed);
  const r = new Float64Array(sources.length);
  const g = new Float64Array(sources.length);
  const L = leaves.map((l) => l.v);
  const argSlots = leaves.flatMap((l, at) => (l.arg >= 0 ? [[at, l.arg] as const] : []));
  return (args?: readonly Value[]) => {
    if (args !== undefined) for (const [at, i] of argSlots) L[at] = args[i]!;
    for (let j = 0; j < L.length; j++) r[leaves[j]!.id] = L[j]!.data;
    for (const seg of segments) {
      if (seg.kind === 'forward') forward(seg.from, seg.to, K, A, B, O, C, r);
      else if (seg.kind === 'setGrad') {
        const v = L[seg.leaf]!;
        if (v.accGrad !== undefined) v.accGrad = seg.g;
      } else {
        g.fill(0);
        g[seg.root] = seg.seed;
        backward(seg.order, K, A, B, O, C, RA, RB, r, g);
        for (let j = 0; j < seg.leaves.length; j++) {
          const at = seg.leaves[j]!;
          const v = L[at]!;
          v.accGrad = v.accGrad! + g[leaves[at]!.id]!;
        }
      }
    }
    if (res === null) return undefined;
    return res.kind === 'number' ? r[res.id] : new Value(r[res.id]!, false, false);
  };
}

type ForwardLoop = (from: number, to: number, K: Uint8Array, A: Int32Array, B: Int32Array, O: Int32Array, C: Float64Array, r: Float64Array) => void;
type BackwardLoop = (
  order: Int32Array, K: Uint8Array, A: Int32Array, B: Int32Array, O: Int32Array, C: Float64Array,
  RA: Uint8Array, RB: Uint8Array, r: Float64Array, g: Float64Array,
) => void;

/** The two loops, specialised to the program's op kinds (or, where generated code is forbidden, calling through a table). */
function loops(opsUsed: readonly ElementwiseOp[]): { forward: ForwardLoop; backward: BackwardLoop } {
  const fwdCases = opsUsed.map((_, k) => `case ${k}: y = F${k}(x, z); break;`).join('\n');
  const bwdCases = opsUsed
    .map((_, k) => `case ${k}: if (RA[i] === 1) g[a] += gi * DA${k}(x, z, y); if (RB[i] === 1) g[b] += gi * DB${k}(x, z, y); break;`)
    .join('\n');
  const names = opsUsed.map((_, k) => `F${k} = O_[${k}].forward, DA${k} = O_[${k}].da, DB${k} = O_[${k}].db`).join(', ');
  const operands = 'const a = A[i], b = B[i]; const x = a >= 0 ? r[a] : C[-1 - a]; const z = b >= 0 ? r[b] : C[-1 - b];';
  try {
    const make = new Function(
      'O_',
      `const ${names || '_unused = 0'};
      const forward = (from, to, K, A, B, O, C, r) => {
        for (let i = from; i < to; i++) {
          ${operands}
          let y = 0;
          switch (K[i]) {
            ${fwdCases}
          }
          r[O[i]] = y;
        }
      };
      const backward = (order, K, A, B, O, C, RA, RB, r, g) => {
        for (let j = 0; j < order.length; j++) {
          const i = order[j];
          const gi = g[O[i]];
          // A zero upstream gradient adds nothing (and keeps 0·∞ from becoming NaN), as in the scalar lane.
          if (gi === 0) continue;
          ${operands}
          const y = r[O[i]];
          switch (K[i]) {
            ${bwdCases}
          }
        }
      };
      return { forward, backward };`,
    ) as (ops: readonly ElementwiseOp[]) => { forward: ForwardLoop; backward: BackwardLoop };
    return make(opsUsed);
  } catch {
    return {
      forward: (from, to, K, A, B, O, C, r) => {
        for (let i = from; i < to; i++) {
          const a = A[i]!, b = B[i]!;
          r[O[i]!] = opsUsed[K[i]!]!.forward(a >= 0 ? r[a]! : C[-1 - a]!, b >= 0 ? r[b]! : C[-1 - b]!);
        }
      },
      backward: (order, K, A, B, O, C, RA, RB, r, g) => {
        for (let j = 0; j < order.length; j++) {
          const i = order[j]!;
          const gi = g[O[i]!]!;
          if (gi === 0) continue;
          const a = A[i]!, b = B[i]!;
          const x = a >= 0 ? r[a]! : C[-1 - a]!;
          const z = b >= 0 ? r[b]! : C[-1 - b]!;
          const y = r[O[i]!]!;
          const op = opsUsed[K[i]!]!;
          if (RA[i] === 1) g[a] = g[a]! + gi * (op.da(x, z, y) as number);
          if (RB[i] === 1) g[b] = g[b]! + gi * (op.db!(x, z, y) as number);
        }
      },
    };
  }
}
