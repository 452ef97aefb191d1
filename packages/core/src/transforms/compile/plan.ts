// compile's planner and executor: turns a trace into steps over buffers allocated once (reused by
// liveness), with runs of elementwise ops fused into one generated loop.
import { gemm, gemmArena, gemmFused } from '../../kernels/gemm.ts';
import { wasmElementwiseRun, type RunOperand, type WasmRun, type WasmRunSpec } from '../../kernels/wasm/elementwise-wasm.ts';
import type { ElementwiseOp, OpDef } from '../../ops/define.ts';
import { broadcastTo } from '../../ops/broadcast-to.ts';
import { concat } from '../../ops/concat.ts';
import { slice } from '../../ops/slice.ts';
import { stack } from '../../ops/stack.ts';
import { sumKernel } from '../../ops/sum.ts';
import { transpose } from '../../ops/transpose.ts';
import { broadcastIndex, fmt, sameShape, sizeOf, type Shape } from '../../base/shape.ts';
import { state, withRecording } from '../../graph/tape.ts';
import type { DType, FloatArray } from '../../base/dtype.ts';
import { Tensor } from '../../graph/tensor.ts';
import type { Value } from '../../graph/value.ts';
import { CompileError } from '../../base/errors.ts';
import { type IrNode, type IrResult, type IrValue, type Trace } from './trace.ts';

/** Figures about a plan, for tests and the performance guide. */
export interface PlanStats {
  /** Steps the replay runs (a fused run of elementwise ops counts once). */
  readonly steps: number;
  /** Elementwise ops in the trace. */
  readonly elementwiseOps: number;
  /** How many fused steps (one generated loop each) those elementwise ops became. */
  readonly fusedSteps: number;
  /** Of those, the runs that also have a WebAssembly SIMD loop (ops that are one IEEE instruction each). */
  readonly wasmFusedSteps: number;
  /** Products whose GEMM also does the bias add and/or the sigmoid after them (its epilogue). */
  readonly gemmEpilogues: number;
  /** Of those, the sigmoids applied in the GEMM's epilogue. */
  readonly fusedActivations: number;
  /** Buffers the plan owns (allocated once, when it was built). */
  readonly buffers: number;
  /** Elements in those buffers. */
  readonly bufferElements: number;
  /** Buffers allocated during the most recent replay (ops without a planned kernel allocate their output). */
  readonly allocationsLastCall: number;
  /**
   * Of the plan's buffers, those in the GEMM's WebAssembly memory, which products read and write in place
   * (intermediates only: what the function returns stays in ordinary memory). 0 where memory is not shared.
   */
  readonly wasmResidentBuffers: number;
}

/** One replay step: reads and writes `bufs` (storage by storage id). */
type Step = (bufs: FloatArray[], args: readonly Tensor[]) => void;

/** A replayable plan of one trace. */
export interface Plan {
  /** Runs the plan on new arguments and returns the traced function's result. */
  run(args: readonly (Tensor | Value)[]): unknown;
  stats(): PlanStats;
  /** What must live as long as the plan: the arena its WebAssembly-resident buffers belong to. */
  readonly owns?: unknown;
}

const RESHAPES = new Set(['reshape', 'squeeze', 'unsqueeze']);
const GATHERS = new Set(['transpose', 'broadcastTo', 'slice', 'concat', 'stack']);

function isElementwise(op: OpDef): op is ElementwiseOp {
  return 'arity' in op && typeof (op as ElementwiseOp).forward === 'function';
}

/**
 * Buffers at least this long run a unary op's whole-buffer kernel (sigmoid's Wasm SIMD) instead of its
 * scalar form inside a fused loop. Measured (W1's shapes, float64): a fused add + scalar sigmoid over 32768
 * elements 0.57 ms, the add alone then the kernel 0.27 ms; 16384: 0.19 vs 0.09 ms.
 */
const KERNEL_MIN_LENGTH = 1024;

function hasKernel(op: ElementwiseOp, n: number): boolean {
  return op.kernel !== undefined && op.arity === 1 && n >= KERNEL_MIN_LENGTH;
}

function alloc(dtype: DType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Whether plans keep their intermediates in the GEMM's WebAssembly memory (off: for A/B measurements and tests). */
let isResidencyAllowed = true;

/**
 * Turns the plans' WebAssembly-resident buffers on or off for plans built after the call.
 * @internal
 */
export function setPlanResidency(isAllowed: boolean): void {
  isResidencyAllowed = isAllowed;
}

/** Whether fused runs get a WebAssembly SIMD loop where their ops allow it (off: for A/B measurements and tests). */
let isSimdRunAllowed = true;

/**
 * Turns the WebAssembly SIMD loops of fused elementwise runs on or off for plans built after the call.
 * @internal
 */
export function setPlanSimdRuns(isAllowed: boolean): void {
  isSimdRunAllowed = isAllowed;
}

/** Runs internal ops of the planner untraced and unrecorded. */
function quietly<T>(fn: () => T): T {
  const tracer = state.tracer;
  state.tracer = null;
  try {
    return withRecording(false, fn);
  } finally {
    state.tracer = tracer;
  }
}

/**
 * Builds a plan from a trace.
 * @throws {@link CompileError} for an op the planner cannot replay.
 * @internal
 */
export function buildPlan(trace: Trace): Plan {
  const { values, nodes } = trace;
  // Storage ids: an alias (reshape, detach) shares its base's storage.
  const storage = values.map((v) => v.id);
  const root = (id: number): number => {
    let s = id;
    while (values[s]!.source.kind === 'alias') s = (values[s]!.source as { of: number }).of;
    return s;
  };
  // Storage touched by a traced in-place update must not be shared by a reshape (eager reshapes copy).
  const writtenInPlace = new Set<number>();
  for (const n of nodes) if (n.kind === 'inplace') writtenInPlace.add(root(n.target));
  const copies = new Set<number>(); // reshape outputs that must be copies
  const sharing = new Set<number>(); // reshape outputs that share their input's storage
  for (const n of nodes) {
    if (n.kind === 'op' && RESHAPES.has(n.op.name)) {
      if (writtenInPlace.has(root(n.inputs[0]!)) || writtenInPlace.has(n.output)) copies.add(n.output);
      else sharing.add(n.output);
    }
  }
  const resolve = (id: number): number => {
    let s = id;
    for (;;) {
      const v = values[s]!;
      if (v.source.kind === 'alias') s = v.source.of;
      else if (v.source.kind === 'op' && sharing.has(s)) s = (nodes[v.source.node] as Extract<IrNode, { kind: 'op' }>).inputs[0]!;
      else return s;
    }
  };
  for (let i = 0; i < values.length; i++) storage[i] = resolve(i);

  // Pinned storage: what the function returns stays valid until the next call.
  const pinned = new Set<number>();
  const pin = (r: IrResult): void => {
    if (r.kind === 'tensor' || r.kind === 'item') pinned.add(storage[r.id]!);
    else if (r.kind === 'array') r.items.forEach(pin);
    else if (r.kind === 'object') r.entries.forEach(([, x]) => pin(x));
  };
  pin(trace.result);

  // Uses of each value (by node index), to find what a fused run must write out.
  const uses = new Map<number, number[]>();
  const use = (id: number, at: number): void => {
    const s = storage[id]!;
    const list = uses.get(s);
    if (list === undefined) uses.set(s, [at]);
    else list.push(at);
  };
  nodes.forEach((n, i) => {
    if (n.kind === 'op') {
      n.inputs.forEach((x) => use(x, i));
      n.attrTensors.forEach(([, x]) => use(x, i));
    }
    else if (n.kind === 'inplace') {
      use(n.target, i);
      if (typeof n.operand === 'number') use(n.operand, i);
    } else if (n.kind === 'setGrad') use(n.grad, i);
  });

  // A bias add and/or a sigmoid right after a 2-D matmul, each reading nothing but the op before it, become
  // the GEMM's epilogue: one pass over the output instead of three.
  const epilogues = findGemmEpilogues(nodes, values, storage, uses, pinned, writtenInPlace, root);

  // Group nodes into steps: runs of elementwise ops of one output shape and dtype fuse.
  interface Group { readonly start: number; readonly end: number } // node index range [start, end)
  const groups: Group[] = [];
  const absorbedInto = new Map<number, number>(); // absorbed add node → its matmul's group
  for (let i = 0; i < nodes.length; ) {
    if (epilogues.absorbed.has(i)) {
      absorbedInto.set(i, groups.length - 1);
      i++;
      continue;
    }
    const n = nodes[i]!;
    if (n.kind === 'op' && isElementwise(n.op) && !hasKernel(n.op, values[n.output]!.size)) {
      const out = values[n.output]!;
      let j = i + 1;
      while (j < nodes.length) {
        const m = nodes[j]!;
        if (m.kind !== 'op' || !isElementwise(m.op) || hasKernel(m.op, values[m.output]!.size) || epilogues.absorbed.has(j)) break;
        const o = values[m.output]!;
        if (o.dtype !== out.dtype || o.shape.length !== out.shape.length || !o.shape.every((d, k) => d === out.shape[k])) break;
        j++;
      }
      groups.push({ start: i, end: j });
      i = j;
    } else {
      groups.push({ start: i, end: i + 1 });
      i++;
    }
  }

  // Liveness: a planned buffer is free after the last step that reads its storage.
  const groupOf = new Int32Array(nodes.length);
  groups.forEach((g, k) => {
    for (let i = g.start; i < g.end; i++) groupOf[i] = k;
  });
  for (const [i, k] of absorbedInto) groupOf[i] = k;
  const lastUse = new Map<number, number>();
  for (const [s, at] of uses) lastUse.set(s, Math.max(...at.map((i) => groupOf[i]!)));

  const buffers: FloatArray[] = [];
  const planned = new Map<number, FloatArray>(); // storage id → its buffer
  const free: FloatArray[] = [];
  const owned = new Set<FloatArray>();
  let bufferElements = 0;
  // Intermediates live in the GEMM's WebAssembly memory where it is shared: products then read and write them
  // in place, which halves the bytes W1's products copy (scripts/copied-bytes.mts; removing every copy bounds the
  // gain at 5–9 % of the step). What the function returns never does: the arena's memory goes back to the engine
  // when the plan is garbage, and a caller may keep a result longer.
  const arena = isResidencyAllowed ? gemmArena() : undefined;
  const resident = new Set<FloatArray>();
  const take = (s: number, dtype: DType, n: number): void => {
    const isF32 = dtype === 'float32';
    const isReturned = pinned.has(s);
    const k = free.findIndex((b) => b.length === n && (b instanceof Float32Array) === isF32 && !(isReturned && resident.has(b)));
    let b: FloatArray;
    if (k >= 0) b = free.splice(k, 1)[0]!;
    else {
      const inWasm = isReturned ? undefined : arena?.alloc(isF32, n);
      if (inWasm !== undefined) resident.add(inWasm);
      b = inWasm ?? alloc(dtype, n);
      buffers.push(b);
      bufferElements += n;
    }
    planned.set(s, b);
    owned.add(b);
  };
  const releaseAfter = (k: number): void => {
    for (const [s, last] of lastUse) {
      if (last !== k || pinned.has(s)) continue;
      const b = planned.get(s);
      if (b !== undefined && owned.has(b)) free.push(b);
    }
  };

  let allocations = 0;
  const steps: Step[] = [];
  let elementwiseOps = 0;
  let fusedSteps = 0;
  let wasmFusedSteps = 0;
  const fixedOutputs = new Set<number>(); // storage ids whose buffer is planned (others come from a kernel's return)

  groups.forEach((g, k) => {
    const first = nodes[g.start]!;
    if (first.kind === 'op' && isElementwise(first.op) && hasKernel(first.op, values[first.output]!.size)) {
      // A unary op with a whole-buffer kernel (sigmoid's SIMD) runs it: faster than its scalar form in a loop.
      elementwiseOps++;
      const outS = storage[first.output]!;
      const inS = storage[first.inputs[0]!]!;
      take(outS, values[first.output]!.dtype, values[first.output]!.size);
      fixedOutputs.add(outS);
      const kernel = first.op.kernel!;
      steps.push((bufs) => kernel(bufs[inS]!, bufs[outS]!));
    } else if (first.kind === 'op' && isElementwise(first.op)) {
      const members = nodes.slice(g.start, g.end) as Extract<IrNode, { kind: 'op' }>[];
      elementwiseOps += members.length;
      fusedSteps++;
      // A member's output is written out if anything outside the run reads it, or it is returned.
      const written = members
        .map((m) => m.output)
        .filter((o) => pinned.has(storage[o]!) || (uses.get(storage[o]!) ?? []).some((i) => i < g.start || i >= g.end));
      for (const o of written) {
        take(storage[o]!, values[o]!.dtype, values[o]!.size);
        fixedOutputs.add(storage[o]!);
      }
      const step = fusedStep(members, values, storage, new Set(written), planned);
      if (step.isWasm) wasmFusedSteps++;
      steps.push(step.run);
    } else if (first.kind === 'op' && epilogues.byMatmul.has(g.start)) {
      const ep = epilogues.byMatmul.get(g.start)!;
      elementwiseOps += (ep.bias === undefined ? 0 : 1) + (ep.isSigmoid ? 1 : 0);
      steps.push(epilogueGemmStep(first, ep, values, storage, take, fixedOutputs));
    } else if (first.kind === 'op') {
      steps.push(opStep(first, values, storage, planned, take, fixedOutputs, copies, () => allocations++));
    } else if (first.kind === 'inplace') {
      steps.push(inPlaceStep(first, values, storage));
    } else if (first.kind === 'setGrad') {
      steps.push(setGradStep(first, values, storage, trace));
    } else {
      steps.push(clearGradStep(first, values));
    }
    releaseAfter(k);
  });

  const argStorage = values.filter((v) => v.source.kind === 'arg').map((v) => [v.id, (v.source as { index: number }).index] as const);
  const externals = values.filter((v) => v.source.kind === 'external').map((v) => [v.id, (v.source as { tensor: Tensor }).tensor] as const);
  const bufs: FloatArray[] = new Array<FloatArray>(values.length);
  for (const [s, b] of planned) bufs[s] = b;
  // Returned tensors wrap pinned buffers; made once, reused by every call.
  const resultTensors = new Map<number, Tensor>();

  const materialize = (r: IrResult): unknown => {
    switch (r.kind) {
      case 'none':
        return undefined;
      case 'constant':
        return r.value;
      case 'item':
        return bufs[storage[r.id]!]![0];
      case 'tensor': {
        const s = storage[r.id]!;
        const v = values[r.id]!;
        const buf = bufs[s]!;
        let t = resultTensors.get(r.id);
        if (t === undefined || t.data !== buf) {
          t = Tensor.fromData(buf, v.shape, v.dtype);
          if (fixedOutputs.has(s)) resultTensors.set(r.id, t);
        } else t.bumpVersion();
        return t;
      }
      case 'array':
        return r.items.map(materialize);
      case 'object':
        return Object.fromEntries(r.entries.map(([key, x]) => [key, materialize(x)]));
    }
  };

  return {
    owns: arena,
    run(all) {
      const args = all as readonly Tensor[];
      allocations = 0;
      for (const [id, index] of argStorage) bufs[id] = args[index]!.data;
      for (const [id, t] of externals) bufs[id] = t.data;
      for (const step of steps) step(bufs, args);
      return materialize(trace.result);
    },
    stats: () => ({
      steps: steps.length, elementwiseOps, fusedSteps, wasmFusedSteps, gemmEpilogues: epilogues.byMatmul.size,
      fusedActivations: [...epilogues.byMatmul.values()].filter((e) => e.isSigmoid).length, buffers: buffers.length, bufferElements,
      allocationsLastCall: allocations, wasmResidentBuffers: resident.size,
    }),
  };
}

/**
 * One loop for a run of elementwise ops: each element goes through every op in registers, and only the
 * outputs read elsewhere are stored. float32 intermediates are rounded as eager float32 storage rounds
 * them, so the results are eager's bit for bit (ops whose float32 kernel computes in float32, like
 * sigmoid's, agree to a few float32 ulps). A run whose ops are each one IEEE instruction (add, sub, mul,
 * div, neg) on whole or one-element inputs of its dtype also gets a WebAssembly SIMD loop, with the same
 * bits, used when its buffers live in the GEMM's memory (a plan's intermediates do); the JavaScript loop
 * runs otherwise.
 */
function fusedStep(
  members: readonly Extract<IrNode, { kind: 'op' }>[],
  values: readonly IrValue[],
  storage: readonly number[],
  written: ReadonlySet<number>,
  planned: ReadonlyMap<number, FloatArray>,
): { readonly run: Step; readonly isWasm: boolean } {
  const out = values[members[0]!.output]!;
  const n = out.size;
  const isF32 = out.dtype === 'float32';
  const inputs: number[] = []; // storage ids read from outside the run
  const inputKind: ('full' | 'scalar' | 'indexed')[] = [];
  const maps: (Int32Array | null)[] = [];
  const slotOf = new Map<number, string>(); // value id → expression naming it
  const inputOf = new Map<number, number>(); // value id → its index among the run's inputs
  const lines: string[] = [];
  const pre: string[] = [];
  const fs = members.map((m) => (m.op as ElementwiseOp).forward);
  const outputs: number[] = [];
  const inputExpr = (id: number): string => {
    const known = slotOf.get(id);
    if (known !== undefined) return known;
    const v = values[id]!;
    const k = inputs.length;
    inputOf.set(id, k);
    inputs.push(storage[id]!);
    if (v.size === n) {
      inputKind.push('full');
      maps.push(null);
      slotOf.set(id, `i${k}[i]`);
    } else if (v.size === 1) {
      inputKind.push('scalar');
      maps.push(null);
      pre.push(`const s${k} = i${k}[0];`);
      slotOf.set(id, `s${k}`);
    } else {
      inputKind.push('indexed');
      maps.push(broadcastIndex(out.shape, v.shape));
      slotOf.set(id, `i${k}[x${k}[i]]`);
    }
    return slotOf.get(id)!;
  };
  members.forEach((m, j) => {
    const a = inputExpr(m.inputs[0]!);
    const b = m.inputs.length > 1 ? inputExpr(m.inputs[1]!) : '0';
    const call = `f${j}(${a}, ${b})`;
    lines.push(`const v${j} = ${isF32 ? `fr(${call})` : call};`);
    slotOf.set(m.output, `v${j}`);
    if (written.has(m.output)) {
      const k = outputs.length;
      outputs.push(storage[m.output]!);
      lines.push(`o${k}[i] = v${j};`);
    }
  });
  const params = [
    ...inputs.map((_, k) => `i${k}`),
    ...maps.map((_, k) => `x${k}`),
    ...outputs.map((_, k) => `o${k}`),
    ...fs.map((_, j) => `f${j}`),
    'fr',
  ];
  // The sourceURL names the run in profilers: "fused:sigmoid,mul…[32768]".
  const label = `fused:${members.map((m) => m.op.name).join(',')}[${n}]`;
  const body = `${pre.join('\n')}\nfor (let i = 0; i < ${n}; i++) {\n${lines.join('\n')}\n}\n//# sourceURL=${label}`;
  const argv: unknown[] = [
    ...inputs.map(() => null),
    ...maps,
    ...outputs.map((s) => planned.get(s)!),
    ...fs,
    Math.fround,
  ];
  let kernel: (...a: unknown[]) => void;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated straight-line loop, see docs/performance.md
    kernel = new Function(...params, body) as (...a: unknown[]) => void;
  } catch {
    // A page whose Content-Security-Policy forbids generated code still gets correct results: the same
    // run, interpreted one element at a time.
    kernel = interpretedRun(members, values, storage, inputs, maps, outputs, isF32, n);
  }
  const simd = simdRun(members, values, inputOf, inputKind, outputs.map((s) => members.findIndex((m) => storage[m.output] === s)), n, isF32);
  if (simd === undefined) {
    return {
      isWasm: false,
      run: (bufs) => {
        for (let k = 0; k < inputs.length; k++) argv[k] = bufs[inputs[k]!];
        kernel(...argv);
      },
    };
  }
  const ins: FloatArray[] = new Array<FloatArray>(inputs.length);
  const outs = outputs.map((s) => planned.get(s)!);
  return {
    isWasm: true,
    run: (bufs) => {
      for (let k = 0; k < inputs.length; k++) ins[k] = argv[k] = bufs[inputs[k]!]!;
      if (!simd(ins, outs)) kernel(...argv);
    },
  };
}

/** Runs shorter than this stay in JavaScript: the call and the residency checks cost more than SIMD saves. */
const SIMD_RUN_MIN_LENGTH = 64;

/** The run as WebAssembly SIMD (see `elementwise-wasm.ts`), or undefined when an op or an input does not allow it. */
function simdRun(
  members: readonly Extract<IrNode, { kind: 'op' }>[],
  values: readonly IrValue[],
  inputOf: ReadonlyMap<number, number>,
  inputKind: readonly ('full' | 'scalar' | 'indexed')[],
  outputRegs: readonly number[],
  n: number,
  isF32: boolean,
): WasmRun | undefined {
  if (!isSimdRunAllowed || n < SIMD_RUN_MIN_LENGTH || inputKind.some((k) => k === 'indexed')) return undefined;
  const dtype = isF32 ? 'float32' : 'float64';
  if ([...inputOf.keys()].some((id) => values[id]!.dtype !== dtype)) return undefined;
  const regOf = new Map<number, number>();
  const ops: WasmRunSpec['ops'][number][] = [];
  for (const [j, m] of members.entries()) {
    const instruction = (m.op as ElementwiseOp).instruction;
    if (instruction === undefined) return undefined;
    const operand = (id: number): RunOperand => (regOf.has(id) ? { reg: regOf.get(id)! } : { input: inputOf.get(id)! });
    ops.push(m.inputs.length > 1 ? { instruction, a: operand(m.inputs[0]!), b: operand(m.inputs[1]!) } : { instruction, a: operand(m.inputs[0]!) });
    regOf.set(m.output, j);
  }
  return wasmElementwiseRun({ isF32, n, inputs: inputKind as readonly ('full' | 'scalar')[], ops, outputs: outputRegs });
}

function interpretedRun(
  members: readonly Extract<IrNode, { kind: 'op' }>[],
  values: readonly IrValue[],
  storage: readonly number[],
  inputs: readonly number[],
  maps: readonly (Int32Array | null)[],
  outputs: readonly number[],
  isF32: boolean,
  n: number,
): (...a: unknown[]) => void {
  const outAt = new Map(outputs.map((s, k) => [s, k]));
  return (...argv: unknown[]) => {
    const ins = argv.slice(0, inputs.length) as FloatArray[];
    const outs = argv.slice(inputs.length + maps.length, inputs.length + maps.length + outputs.length) as FloatArray[];
    const reg = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      reg.clear();
      const read = (id: number): number => {
        const r = reg.get(id);
        if (r !== undefined) return r;
        const k = inputs.indexOf(storage[id]!);
        const buf = ins[k]!;
        const size = values[id]!.size;
        return size === n ? buf[i]! : size === 1 ? buf[0]! : buf[maps[k]![i]!]!;
      };
      for (const m of members) {
        let y = (m.op as ElementwiseOp).forward(read(m.inputs[0]!), m.inputs.length > 1 ? read(m.inputs[1]!) : 0);
        if (isF32) y = Math.fround(y);
        reg.set(m.output, y);
        const k = outAt.get(storage[m.output]!);
        if (k !== undefined) outs[k]![i] = y;
      }
    }
  };
}

/** What the GEMM of a matmul does after the product: the output it writes, the bias row it adds, the sigmoid. */
interface GemmEpilogueSpec {
  readonly out: number;
  readonly bias: number | undefined;
  readonly isSigmoid: boolean;
}

/**
 * Finds `sigmoid(matmul(a, b) + bias)`, `matmul(a, b) + bias` and `sigmoid(matmul(a, b))` where the product
 * is 2-D, each op reads only the one before it and is that value's only reader (the backward of sigmoid reads
 * its output, never its input), nothing in the chain but its end is returned or written in place, and the
 * bias is one row (shape [n] or [1, n]) broadcast over the rows. `gemmFused` gives those ops' eager bits for
 * any k: the bias is added to the finished product, and the sigmoid is the same kernel.
 */
function findGemmEpilogues(
  nodes: readonly IrNode[],
  values: readonly IrValue[],
  storage: readonly number[],
  uses: ReadonlyMap<number, readonly number[]>,
  pinned: ReadonlySet<number>,
  writtenInPlace: ReadonlySet<number>,
  root: (id: number) => number,
): { byMatmul: Map<number, GemmEpilogueSpec>; absorbed: Set<number> } {
  const byMatmul = new Map<number, GemmEpilogueSpec>();
  const absorbed = new Set<number>();
  /** Whether the value `id` (made by node i) may stay inside the GEMM: own storage, read by node i + 1 alone. */
  const isInner = (id: number, i: number): boolean => {
    const s = storage[id]!;
    if (s !== id || pinned.has(s) || writtenInPlace.has(root(id))) return false;
    const readers = uses.get(s) ?? [];
    return readers.length === 1 && readers[0] === i + 1;
  };
  for (let i = 0; i + 1 < nodes.length; i++) {
    const mm = nodes[i]!;
    if (mm.kind !== 'op' || mm.op.name !== 'matmul') continue;
    const [a, b] = mm.inputs.map((id) => values[id]!) as [IrValue, IrValue];
    if (a.shape.length !== 2 || b.shape.length !== 2) continue;
    const y = values[mm.output]!;
    const [m, n] = y.shape as [number, number];
    const sameAsProduct = (v: IrValue): boolean => v.dtype === y.dtype && v.shape.length === 2 && v.shape[0] === m && v.shape[1] === n;
    let at = i;
    let cur = mm.output;
    let bias: number | undefined;
    let isSigmoid = false;
    const ad = nodes[at + 1];
    if (ad?.kind === 'op' && ad.op.name === 'add' && isInner(cur, at)) {
      const k = ad.inputs[0] === cur ? 1 : ad.inputs[1] === cur ? 0 : -1;
      const bv = k < 0 ? undefined : values[ad.inputs[k]!]!;
      const isRow = bv !== undefined && bv.size === n && (bv.shape.length === 1 || (bv.shape.length === 2 && bv.shape[0] === 1));
      if (isRow && bv.dtype === y.dtype && sameAsProduct(values[ad.output]!)) {
        bias = ad.inputs[k]!;
        cur = ad.output;
        at++;
      }
    }
    const sg = nodes[at + 1];
    if (sg?.kind === 'op' && sg.op.name === 'sigmoid' && sg.inputs[0] === cur && isInner(cur, at) && sameAsProduct(values[sg.output]!)) {
      isSigmoid = true;
      cur = sg.output;
      at++;
    }
    if (at === i || storage[cur] !== cur || writtenInPlace.has(root(cur))) continue;
    byMatmul.set(i, { out: cur, bias, isSigmoid });
    for (let j = i + 1; j <= at; j++) absorbed.add(j);
  }
  return { byMatmul, absorbed };
}

function epilogueGemmStep(
  node: Extract<IrNode, { kind: 'op' }>,
  epilogue: GemmEpilogueSpec,
  values: readonly IrValue[],
  storage: readonly number[],
  take: (s: number, dtype: DType, n: number) => void,
  fixedOutputs: Set<number>,
): Step {
  const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
  const [a, b] = node.inputs.map((id) => values[id]!) as [IrValue, IrValue];
  const m = a.shape[transA ? 1 : 0]!;
  const k = a.shape[transA ? 0 : 1]!;
  const n = b.shape[transB ? 0 : 1]!;
  const outV = values[epilogue.out]!;
  const outS = storage[epilogue.out]!;
  const biasS = epilogue.bias === undefined ? -1 : storage[epilogue.bias]!;
  const isSigmoid = epilogue.isSigmoid;
  const [sa, sb] = node.inputs.map((id) => storage[id]!) as [number, number];
  take(outS, outV.dtype, outV.size);
  fixedOutputs.add(outS);
  return (bufs) => {
    gemmFused(bufs[sa]!, bufs[sb]!, bufs[outS]!, m, n, k, transA, transB, { bias: biasS < 0 ? undefined : bufs[biasS]!, sigmoid: isSigmoid });
  };
}

function opStep(
  node: Extract<IrNode, { kind: 'op' }>,
  values: readonly IrValue[],
  storage: readonly number[],
  planned: Map<number, FloatArray>,
  take: (s: number, dtype: DType, n: number) => void,
  fixedOutputs: Set<number>,
  copies: ReadonlySet<number>,
  countAllocation: () => void,
): Step {
  const { op, inputs, output } = node;
  const outV = values[output]!;
  const outS = storage[output]!;
  const inV = inputs.map((id) => values[id]!);
  const inS = inputs.map((id) => storage[id]!);
  const name = op.name;
  if (RESHAPES.has(name)) {
    if (!copies.has(output)) return () => {}; // shares its input's storage
    take(outS, outV.dtype, outV.size);
    fixedOutputs.add(outS);
    return (bufs) => bufs[outS]!.set(bufs[inS[0]!]!);
  }
  if (name === 'matmul') {
    const { transA, transB } = node.attrs as { transA: boolean; transB: boolean };
    const [a, b] = inV as [IrValue, IrValue];
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = a.shape[ra - (transA ? 1 : 2)]!;
    const k = a.shape[ra - (transA ? 2 : 1)]!;
    const n = b.shape[rb - (transB ? 2 : 1)]!;
    const batch = outV.shape.slice(0, -2);
    const count = sizeOf(batch);
    const ia = count === 1 ? null : broadcastIndex(batch, a.shape.slice(0, -2));
    const ib = count === 1 ? null : broadcastIndex(batch, b.shape.slice(0, -2));
    take(outS, outV.dtype, outV.size);
    fixedOutputs.add(outS);
    const [sa, sb] = inS as [number, number];
    return (bufs) => {
      const out = bufs[outS]!;
      if (k === 0) out.fill(0);
      if (ia === null) gemm(bufs[sa]!, bufs[sb]!, out, m, n, k, transA, transB);
      else for (let i = 0; i < count; i++) gemm(bufs[sa]!, bufs[sb]!, out, m, n, k, transA, transB, ia[i]! * m * k, ib![i]! * k * n, i * m * n);
    };
  }
  if (GATHERS.has(name)) {
    // A data movement is a fixed map from output element to input element: found once, by running the
    // op on tensors that hold their own indices.
    const offsets: number[] = [];
    let total = 0;
    for (const v of inV) {
      offsets.push(total);
      total += v.size;
    }
    const idxInputs = inV.map((v, j) => Tensor.fromData(Float64Array.from({ length: v.size }, (_, i) => offsets[j]! + i), v.shape, 'float64'));
    const moved = quietly(() => gatherCall(name, idxInputs, node.attrs, outV.shape));
    const which = new Int32Array(outV.size);
    const where_ = new Int32Array(outV.size);
    for (let i = 0; i < outV.size; i++) {
      const g = moved.data[i]!;
      let j = offsets.length - 1;
      while (offsets[j]! > g) j--;
      which[i] = j;
      where_[i] = g - offsets[j]!;
    }
    take(outS, outV.dtype, outV.size);
    fixedOutputs.add(outS);
    if (inS.length === 1) {
      const s0 = inS[0]!;
      return (bufs) => {
        const src = bufs[s0]!;
        const out = bufs[outS]!;
        for (let i = 0; i < out.length; i++) out[i] = src[where_[i]!]!;
      };
    }
    return (bufs) => {
      const out = bufs[outS]!;
      for (let i = 0; i < out.length; i++) out[i] = bufs[inS[which[i]!]!]![where_[i]!]!;
    };
  }
  if (name === 'sum') {
    const { kept } = node.attrs as { kept: readonly number[] };
    take(outS, outV.dtype, outV.size);
    fixedOutputs.add(outS);
    const x = inV[0]!;
    const scratch = x.dtype === 'float32' && outV.size > 1 ? new Float64Array(outV.size) : undefined;
    return (bufs) => {
      const out = bufs[outS]!;
      sumKernel(Tensor.fromData(bufs[inS[0]!]!, x.shape, x.dtype), kept, out, scratch);
    };
  }
  // The rest run their own kernel, which returns fresh storage: one allocation per call.
  const kernel = kernelCall(op, node.attrs, inV, outV);
  // An attribute tensor from outside (labels passed as an argument, a batch-norm running statistic) is handed
  // over itself, so what the replay writes into it bumps its version as eager does; the rest are wrapped.
  const attrV = node.attrTensors.map(([key, id]) => {
    const v = values[id]!;
    const owner = ownerOf(values, id);
    return [key, v, storage[id]!, owner !== null && sameShape(owner.shape, v.shape) ? owner : null] as const;
  });
  return (bufs, args) => {
    const ts = inV.map((v, j) => Tensor.fromData(bufs[inS[j]!]!, v.shape, v.dtype));
    const current: Record<string, Tensor> = {};
    for (const [key, v, s, owner] of attrV) current[key] = owner !== null ? owner.tensor(args) : Tensor.fromData(bufs[s]!, v.shape, v.dtype);
    const out = quietly(() => kernel(ts, current));
    if (out.length !== outV.size) throw new CompileError(`compile: replaying '${name}' gave ${out.length} elements, expected ${outV.size} (${fmt(outV.shape)})`);
    countAllocation();
    bufs[outS] = out;
  };
}

function gatherCall(name: string, xs: readonly Tensor[], attrs: unknown, outShape: Shape): Tensor {
  const a = attrs as Record<string, unknown>;
  switch (name) {
    case 'transpose':
      return transpose(xs[0]!, a.perm as number[]);
    case 'broadcastTo':
      return broadcastTo(xs[0]!, outShape);
    case 'slice':
      return slice(xs[0]!, a.axis as number, a.start as number, a.end as number);
    case 'concat':
      return concat(xs, a.axis as number);
    default:
      return stack(xs, a.axis as number);
  }
}

/**
 * An op replayed by its own replay rule (`OpDef.replay`, in the op's file), which returns fresh storage:
 * one allocation per call. Attribute tensors hold their current storage (labels passed as an argument).
 */
function kernelCall(
  op: OpDef,
  attrs: unknown,
  inV: readonly IrValue[],
  outV: IrValue,
): (xs: readonly Tensor[], attrTensors: Readonly<Record<string, Tensor>>) => FloatArray {
  const replay = op.replay;
  if (replay === undefined) {
    throw new CompileError(
      `compile: op '${op.name}' (inputs ${inV.map((v) => fmt(v.shape)).join(', ')}, output ${fmt(outV.shape)}) cannot be replayed yet; ` +
        'run this function eagerly (compile(fn, { static: false }))',
    );
  }
  return (xs, at) => {
    const r = replay(xs, Object.keys(at).length === 0 ? attrs : { ...(attrs as object), ...at }, outV.shape);
    if (r instanceof Tensor) return r.data;
    // Tensors the forward made that the traced backward reads (an argmax, a mask): written where it reads them.
    const fresh = r.attrs as Record<string, unknown>;
    for (const [key, t] of Object.entries(at)) {
      const f = fresh[key];
      if (!(f instanceof Tensor) || f.data === t.data) continue;
      if (f.size !== t.size) throw new CompileError(`compile: replaying '${op.name}' made its '${key}' with ${f.size} elements, the trace ${t.size}`);
      t.data.set(f.data);
      t.bumpVersion();
    }
    return r.output.data;
  };
}

/**
 * The tensor from outside the plan whose storage an IR value is (an argument, or a tensor the function read,
 * through aliases), or null for the plan's own storage.
 */
function ownerOf(values: readonly IrValue[], id: number): { readonly shape: Shape; tensor(args: readonly Tensor[]): Tensor } | null {
  let v = values[id]!;
  while (v.source.kind === 'alias') v = values[v.source.of]!;
  const source = v.source;
  if (source.kind === 'external') return { shape: v.shape, tensor: () => source.tensor };
  if (source.kind === 'arg') return { shape: v.shape, tensor: (args) => args[source.index]! };
  return null;
}

function inPlaceStep(node: Extract<IrNode, { kind: 'inplace' }>, values: readonly IrValue[], storage: readonly number[]): Step {
  const t = values[node.target]!;
  const ts = storage[node.target]!;
  const f = node.f;
  // A tensor from outside gets its version bumped, as the eager in-place op does: a graph recorded before the
  // call that saved it then refuses to backpropagate through the changed values.
  const owner = ownerOf(values, node.target);
  const bump = owner === null ? () => {} : (args: readonly Tensor[]) => owner.tensor(args).bumpVersion();
  if (typeof node.operand !== 'number') {
    const c = node.operand.constant;
    return (bufs, args) => {
      const d = bufs[ts]!;
      for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, c);
      bump(args);
    };
  }
  const o = values[node.operand]!;
  const os = storage[node.operand]!;
  const idx = o.size === t.size ? null : broadcastIndex(t.shape, o.shape);
  return (bufs, args) => {
    const d = bufs[ts]!;
    const s = bufs[os]!;
    if (idx === null) for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, s[i]!);
    else for (let i = 0; i < d.length; i++) d[i] = f(d[i]!, s[idx[i]!]!);
    bump(args);
  };
}

function setGradStep(node: Extract<IrNode, { kind: 'setGrad' }>, values: readonly IrValue[], storage: readonly number[], trace: Trace): Step {
  const leaf = values[node.leaf]!;
  const gs = storage[node.grad]!;
  const entry = trace.leaves.find((l) => l.id === node.leaf)!;
  // The leaf's gradient lives in storage the plan keeps, written afresh by every call (as an optimizer
  // that zeroes gradients in place sees it); a gradient that was there before is added to in place.
  const own = Tensor.fromData(alloc(leaf.dtype, leaf.size), leaf.shape, leaf.dtype);
  const result = node.result;
  return (bufs, args) => {
    const t = entry.tensor ?? args[entry.argIndex]!;
    const g = bufs[gs]!;
    if (node.isAccumulating && t.grad !== null) {
      const acc = t.grad.data;
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + g[i]!;
      t.grad.bumpVersion();
    } else {
      own.data.set(g);
      if (t.grad === own) own.bumpVersion();
      t.grad = own;
    }
    bufs[result] = t.grad.data;
  };
}

function clearGradStep(node: Extract<IrNode, { kind: 'clearGrad' }>, values: readonly IrValue[]): Step {
  const source = values[node.leaf]!.source;
  if (source.kind === 'external') {
    const t = source.tensor;
    return () => {
      t.grad = null;
    };
  }
  if (source.kind === 'arg') {
    const index = source.index;
    return (_bufs, args) => {
      args[index]!.grad = null;
    };
  }
  // An intermediate's .grad is not visible after a replay: nothing to clear.
  return () => {};
}
