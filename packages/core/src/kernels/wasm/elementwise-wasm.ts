// Fused elementwise runs as generated WebAssembly SIMD, on the GEMM engine's memory.
/**
 * A compiled plan's run of elementwise ops (say `dz = dy · (y · (1 − y))`, sigmoid's backward) is one loop
 * over its elements. In JavaScript that loop costs about 1.5 ns per element here whatever it computes
 * (V8 does not vectorise it); as WebAssembly SIMD it does two float64 or four float32 elements per
 * instruction. This file writes such a loop as a small WebAssembly module, in binary, from the run's ops:
 * no assembler at run time, and a module of a few hundred bytes that any engine compiles synchronously.
 *
 * Only ops whose forward is one IEEE-754 instruction take part (add, sub, mul, div, neg: `instruction` on
 * the op), so every element gets the bits of the JavaScript loop: a float64 operation is the same
 * operation, and a float32 one equals JavaScript's float64 operation rounded by `Math.fround`. The
 * module reads and writes the GEMM engine's shared memory, so the run's buffers must live there (a plan's
 * intermediates do); a call on other buffers reports false and the caller runs its JavaScript loop.
 *
 * @internal
 * @packageDocumentation
 */
import type { FloatArray } from '../../base/dtype.ts';
import { wasmResidentAt, wasmSharedMemory } from './gemm-wasm.js';

/** The IEEE-754 instructions a fused run may contain. @internal */
export type SimdInstruction = 'add' | 'sub' | 'mul' | 'div' | 'neg';

/** An operand of a run's op: one of the run's inputs, or the result of an earlier op of the run. @internal */
export type RunOperand = { readonly input: number } | { readonly reg: number };

/** A run of elementwise ops over n elements, in the form the generator takes. @internal */
export interface WasmRunSpec {
  readonly isF32: boolean;
  readonly n: number;
  /** Per input: a whole buffer of n elements, or one number (a buffer of one element, passed by value). */
  readonly inputs: readonly ('full' | 'scalar')[];
  /** The ops in order; op j's result is register j. Unary ops have no `b`. */
  readonly ops: readonly { readonly instruction: SimdInstruction; readonly a: RunOperand; readonly b?: RunOperand }[];
  /** The registers stored, one output buffer each, in this order. */
  readonly outputs: readonly number[];
}

/**
 * Runs the compiled loop on these buffers (inputs and outputs as the spec lists them); false, with
 * nothing written, when a buffer is not in the engine's memory. @internal
 */
export type WasmRun = (inputs: readonly FloatArray[], outputs: readonly FloatArray[]) => boolean;

// ---- binary encoding ----------------------------------------------------------------------------

function uleb(x: number, out: number[]): void {
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x !== 0) b |= 0x80;
    out.push(b);
  } while (x !== 0);
}

function sleb(x: number, out: number[]): void {
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;
const OP = {
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Const: 0x41, i32Add: 0x6a, i32LtU: 0x49,
  block: 0x02, loop: 0x03, brIf: 0x0d, end: 0x0b, void: 0x40,
  f64Load: 0x2b, f32Load: 0x2a, f64Store: 0x39, f32Store: 0x38, simd: 0xfd,
} as const;
/** SIMD sub-opcodes (after 0xfd, LEB-encoded). */
const SIMD = { load: 0x00, store: 0x0b, f32x4Splat: 0x13, f64x2Splat: 0x14 } as const;
/** Per instruction: [f64 scalar, f32 scalar, f64x2, f32x4] opcodes (vector ones after 0xfd). */
const INSTRUCTION: Record<SimdInstruction, readonly [number, number, number, number]> = {
  add: [0xa0, 0x92, 0xf0, 0xe4],
  sub: [0xa1, 0x93, 0xf1, 0xe5],
  mul: [0xa2, 0x94, 0xf2, 0xe6],
  div: [0xa3, 0x95, 0xf3, 0xe7],
  neg: [0x9a, 0x8c, 0xed, 0xe1],
};

/**
 * The module for a run: `run(params…)` with an i32 pointer per whole input, the value of each scalar input,
 * and an i32 pointer per output, in that order. A vector loop over whole 16-byte groups, then a scalar
 * loop over the last elements.
 */
export function elementwiseModuleBytes(spec: WasmRunSpec): Uint8Array {
  const { isF32, n } = spec;
  const es = isF32 ? 4 : 8;
  const elem = isF32 ? F32 : F64;
  const full = spec.inputs.map((kind, k) => (kind === 'full' ? k : -1)).filter((k) => k >= 0);
  const scalar = spec.inputs.map((kind, k) => (kind === 'scalar' ? k : -1)).filter((k) => k >= 0);
  // Parameter indices.
  const paramOf = new Map<number, number>();
  const params: number[] = [];
  for (const k of full) { paramOf.set(k, params.length); params.push(I32); }
  for (const k of scalar) { paramOf.set(k, params.length); params.push(elem); }
  const outParam = spec.outputs.map(() => { params.push(I32); return params.length - 1; });
  // Locals after the parameters: the byte index; v128s: a splat per scalar input, each whole input's
  // vector (loaded once per iteration however often it is read), a register per op; then the scalar
  // loop's whole inputs and registers.
  const iLocal = params.length;
  const splatOf = new Map(scalar.map((k, j) => [k, iLocal + 1 + j]));
  const vInput = new Map(full.map((k, j) => [k, iLocal + 1 + scalar.length + j]));
  const vReg = (j: number): number => iLocal + 1 + scalar.length + full.length + j;
  const sInput = new Map(full.map((k, j) => [k, iLocal + 1 + scalar.length + full.length + spec.ops.length + j]));
  const sReg = (j: number): number => iLocal + 1 + scalar.length + 2 * full.length + spec.ops.length + j;

  const code: number[] = [];
  const emit = (...xs: number[]): void => { code.push(...xs); };
  const local = (op: number, idx: number): void => { code.push(op); uleb(idx, code); };
  const simd = (sub: number): void => { code.push(OP.simd); uleb(sub, code); };
  const i32c = (x: number): void => { code.push(OP.i32Const); sleb(x, code); };
  const address = (ptrParam: number): void => { local(OP.localGet, ptrParam); local(OP.localGet, iLocal); emit(OP.i32Add); };

  for (const k of scalar) {
    local(OP.localGet, paramOf.get(k)!);
    simd(isF32 ? SIMD.f32x4Splat : SIMD.f64x2Splat);
    local(OP.localSet, splatOf.get(k)!);
  }
  const operand = (x: RunOperand, isVector: boolean): void => {
    if ('reg' in x) return local(OP.localGet, isVector ? vReg(x.reg) : sReg(x.reg));
    if (spec.inputs[x.input] === 'scalar') return local(OP.localGet, isVector ? splatOf.get(x.input)! : paramOf.get(x.input)!);
    local(OP.localGet, (isVector ? vInput : sInput).get(x.input)!);
  };
  const body = (isVector: boolean): void => {
    for (const k of full) {
      address(paramOf.get(k)!);
      if (isVector) { simd(SIMD.load); emit(0, 0); } else emit(isF32 ? OP.f32Load : OP.f64Load, 0, 0);
      local(OP.localSet, (isVector ? vInput : sInput).get(k)!);
    }
    spec.ops.forEach((op, j) => {
      operand(op.a, isVector);
      if (op.b !== undefined) operand(op.b, isVector);
      const [s64, s32, v64, v32] = INSTRUCTION[op.instruction];
      if (isVector) simd(isF32 ? v32 : v64);
      else emit(isF32 ? s32 : s64);
      local(OP.localSet, isVector ? vReg(j) : sReg(j));
    });
    spec.outputs.forEach((j, o) => {
      address(outParam[o]!);
      local(OP.localGet, isVector ? vReg(j) : sReg(j));
      if (isVector) { simd(SIMD.store); emit(0, 0); } else emit(isF32 ? OP.f32Store : OP.f64Store, 0, 0);
    });
  };
  const loop = (isVector: boolean, from: number, to: number, stride: number): void => {
    if (to <= from) return;
    i32c(from);
    local(OP.localSet, iLocal);
    emit(OP.loop, OP.void);
    body(isVector);
    local(OP.localGet, iLocal);
    i32c(stride);
    emit(OP.i32Add);
    local(OP.localTee, iLocal);
    i32c(to);
    emit(OP.i32LtU, OP.brIf, 0, OP.end);
  };
  const vectorBytes = Math.floor((n * es) / 16) * 16;
  loop(true, 0, vectorBytes, 16);
  loop(false, vectorBytes, n * es, es);
  emit(OP.end);

  const fn: number[] = [];
  const locals: [number, number][] = [[1, I32], [scalar.length + full.length + spec.ops.length, V128], [full.length + spec.ops.length, elem]];
  const declared = locals.filter(([count]) => count > 0);
  uleb(declared.length, fn);
  for (const [count, type] of declared) { uleb(count, fn); fn.push(type); }
  fn.push(...code);

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type: number[] = [1, 0x60];
  uleb(params.length, type);
  type.push(...params, 0);
  section(1, type, out);
  // (import "env" "memory" (memory 1 65536 shared)): limits flag 3 = shared with a maximum.
  const imp: number[] = [1, 3, ...[..."env"].map((c) => c.charCodeAt(0)), 6, ...[..."memory"].map((c) => c.charCodeAt(0)), 0x02, 0x03];
  uleb(1, imp);
  uleb(65536, imp);
  section(2, imp, out);
  section(3, [1, 0], out);
  section(7, [1, 3, ...[..."run"].map((c) => c.charCodeAt(0)), 0x00, 0], out);
  const codeBody: number[] = [];
  uleb(fn.length, codeBody);
  codeBody.push(...fn);
  section(10, [1, ...codeBody], out);
  return Uint8Array.from(out);
}

// ---- loading ------------------------------------------------------------------------------------

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * The run compiled to WebAssembly on the GEMM engine's memory, or undefined where that memory is not
 * shared (so no buffer can live there), WebAssembly SIMD is missing, or a page's policy forbids compiling.
 * @internal
 */
export function wasmElementwiseRun(spec: WasmRunSpec): WasmRun | undefined {
  const memory = wasmSharedMemory();
  if (wasmApi === undefined || memory === undefined || spec.n === 0) return undefined;
  let run: (...args: number[]) => void;
  try {
    const module = new wasmApi.Module(elementwiseModuleBytes(spec));
    run = (new wasmApi.Instance(module, { env: { memory } }).exports as { run: (...args: number[]) => void }).run;
  } catch {
    return undefined;
  }
  const fullAt: number[] = [];
  const scalarAt: number[] = [];
  spec.inputs.forEach((kind, k) => (kind === 'full' ? fullAt : scalarAt).push(k));
  const args: number[] = new Array<number>(fullAt.length + scalarAt.length + spec.outputs.length).fill(0);
  return (inputs, outputs) => {
    if (wasmSharedMemory() !== memory) return false; // the engine was replaced: its memory is no longer ours
    let a = 0;
    for (const k of fullAt) {
      const p = wasmResidentAt(inputs[k]!);
      if (p < 0) return false;
      args[a++] = p;
    }
    for (const k of scalarAt) args[a++] = inputs[k]![0]!;
    for (const o of outputs) {
      const p = wasmResidentAt(o);
      if (p < 0) return false;
      args[a++] = p;
    }
    run(...args);
    return true;
  };
}
