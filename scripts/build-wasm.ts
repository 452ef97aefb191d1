/**
 * Assembles the GEMM and sigmoid WebAssembly kernels from their WAT source and writes them,
 * base64 encoded, to `packages/core/src/kernels/wasm/{gemm,sigmoid}-wasm.generated.ts`
 * (git-ignored).
 *
 * Run: `tsx scripts/build-wasm.ts` (hooked into the workspace `prepare` script).
 * `--wat <dir>` additionally writes the WAT text there for inspection.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import wabtInit from 'wabt';
import { FMA_KERNEL_SHAPES, gemmWat, KERNEL_SHAPES } from '../packages/core/src/kernels/wasm/gen/gemm-wat.ts';
import { sigmoidWat } from '../packages/core/src/kernels/wasm/gen/sigmoid-wat.ts';
import { sharedVariant } from '../packages/core/src/kernels/wasm/shared-variant.ts';

// Node 20 validates relaxed SIMD (the FMA kernels) only behind this flag; Node 22+ ships it.
setFlagsFromString('--experimental-wasm-relaxed-simd');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outFile = join(root, 'packages/core/src/kernels/wasm/gemm-wasm.generated.ts');
const sigmoidOutFile = join(root, 'packages/core/src/kernels/wasm/sigmoid-wasm.generated.ts');

const wabt = await wabtInit();

function assemble(name: string, text: string): Uint8Array {
  const mod = wabt.parseWat(name, text, { simd: true, threads: true, relaxed_simd: true, bulk_memory: true });
  try {
    mod.resolveNames();
    // wabt's validate() ignores the feature flags (rejects shared memory); V8 validates below.
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

const watDirIdx = process.argv.indexOf('--wat');
// One module per element type: each stays well under the 4 KiB that browsers compile synchronously on
// their main thread (a module with both types grew past it with the epilogue).
const byType = (shapes: typeof KERNEL_SHAPES, t: 'f64' | 'f32') => shapes.filter((x) => x.type === t);
const variants = {
  'shared-f64': gemmWat(true, byType(KERNEL_SHAPES, 'f64')),
  'shared-f32': gemmWat(true, byType(KERNEL_SHAPES, 'f32')),
  'unshared-f64': gemmWat(false, byType(KERNEL_SHAPES, 'f64')),
  'unshared-f32': gemmWat(false, byType(KERNEL_SHAPES, 'f32')),
  'fma-shared-f64': gemmWat(true, byType(FMA_KERNEL_SHAPES, 'f64')),
  'fma-shared-f32': gemmWat(true, byType(FMA_KERNEL_SHAPES, 'f32')),
  'fma-unshared-f64': gemmWat(false, byType(FMA_KERNEL_SHAPES, 'f64')),
  'fma-unshared-f32': gemmWat(false, byType(FMA_KERNEL_SHAPES, 'f32')),
};
if (watDirIdx >= 0) {
  const dir = resolve(process.argv[watDirIdx + 1] ?? '.');
  mkdirSync(dir, { recursive: true });
  for (const [key, text] of Object.entries(variants)) writeFileSync(join(dir, `gemm-${key}.wat`), text);
  writeFileSync(join(dir, 'sigmoid.wat'), sigmoidWat());
  writeFileSync(join(dir, 'sigmoid-shared.wat'), sigmoidWat(true));
}

const binaries = Object.fromEntries(
  Object.entries(variants).map(([key, text]) => [key, assemble(`gemm-${key}.wat`, text)]),
) as Record<keyof typeof variants, Uint8Array>;
// Validate with the engine that will run it, so a broken build fails here, not at run time.
// (lib ES2022 has no WebAssembly types, hence the narrow cast.)
const engine = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
for (const bytes of Object.values(binaries)) new engine.Module(bytes);
const sigmoid = assemble('sigmoid.wat', sigmoidWat());
new engine.Module(sigmoid);
// The variant on the GEMM engine's shared memory, whose kernels import its exact-length functions.
const sigmoidShared = assemble('sigmoid-shared.wat', sigmoidWat(true));
new engine.Module(sigmoidShared);

// Only the unshared binaries ship; the loader derives each shared one by flipping its memory import's
// limits flag (shared-variant.ts). Check that this gives exactly what the assembler makes of the text.
const same = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((b, i) => b === y[i]);
const derived: [Uint8Array, Uint8Array, string][] = [
  ...(['f64', 'f32'] as const).flatMap((t) => [
    [binaries[`unshared-${t}`], binaries[`shared-${t}`], `gemm ${t}`] as [Uint8Array, Uint8Array, string],
    [binaries[`fma-unshared-${t}`], binaries[`fma-shared-${t}`], `gemm fma ${t}`] as [Uint8Array, Uint8Array, string],
  ]),
  [sigmoid, sigmoidShared, 'sigmoid'],
];
for (const [unshared, shared, name] of derived) {
  if (!same(sharedVariant(unshared), shared)) throw new Error(`build-wasm: the shared ${name} module is not its unshared one with a shared memory import`);
}

// Chrome refuses synchronous `new WebAssembly.Module` of more than 4 KiB on its main thread,
// and the loader compiles synchronously so that `gemm` stays synchronous.
for (const [name, bytes] of [...Object.entries(binaries), ['sigmoid', sigmoid] as const, ['sigmoid-shared', sigmoidShared] as const]) {
  if (bytes.length > 4096) {
    process.stderr.write(`build-wasm: warning: ${name} module is ${bytes.length} bytes (> 4096); browsers' main thread cannot compile it synchronously\n`);
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
writeFileSync(
  outFile,
  `// Generated by scripts/build-wasm.ts from gemm-wat.ts. Do not edit; do not commit.
/**
 * GEMM kernels, the float64 module and the float32 module, importing an unshared memory (the shared-memory
 * variants for worker threads are derived by \`sharedVariant\`). @internal
 */
export const GEMM_WASM_BASE64: readonly [string, string] = [
  '${b64(binaries['unshared-f64'])}',
  '${b64(binaries['unshared-f32'])}',
];
/** Fused multiply-add (relaxed SIMD) GEMM kernels, unshared memory (shared: \`sharedVariant\`). @internal */
export const GEMM_WASM_FMA_BASE64: readonly [string, string] = [
  '${b64(binaries['fma-unshared-f64'])}',
  '${b64(binaries['fma-unshared-f32'])}',
];
`,
);
const sizes = Object.entries(binaries).map(([key, bytes]) => `${key} ${bytes.length}`).join(', ');
process.stdout.write(`build-wasm: wrote ${outFile} (${sizes} bytes)\n`);
writeFileSync(
  sigmoidOutFile,
  `// Generated by scripts/build-wasm.ts from sigmoid-wat.ts. Do not edit; do not commit.
/**
 * The f64x2 and f32x4 logistic-sigmoid kernels, importing an unshared memory (the GEMM engine's shared
 * memory takes \`sharedVariant\` of it, for the kernels' epilogue). @internal
 */
export const SIGMOID_WASM_BASE64: string =
  '${b64(sigmoid)}';
`,
);
process.stdout.write(`build-wasm: wrote ${sigmoidOutFile} (${sigmoid.length}, shared ${sigmoidShared.length} bytes)\n`);
