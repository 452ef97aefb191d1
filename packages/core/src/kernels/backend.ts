// ready(), backendInfo() and the debug channel: what the kernels use, and why not more.
/**
 * The public face of the kernels' set-up: `ready()` loads them (and starts the GEMM worker threads),
 * `backendInfo()` says what is active, and `setBackendDebug` subscribes to the reasons for a fallback.
 * @packageDocumentation
 */
import { setWasmThreads, wasmFmaActive, wasmReady, wasmThreads, wasmWarmUp } from './wasm/gemm-wasm.js';
import { noticesSoFar, preloadWorkerThreads, runtimeLabel, setNoticeListener } from './wasm/runtime.js';
import { sigmoidWasmReady } from './wasm/sigmoid-wasm.js';

/** What the numeric back end is using right now, as returned by {@link backendInfo}. @category Linear algebra */
export interface BackendInfo {
  /** Whether the WebAssembly SIMD kernels are loaded (false: products run in JavaScript). */
  readonly wasm: boolean;
  /** Whether products use fused multiply-adds (relaxed SIMD). */
  readonly fma: boolean;
  /** Threads a large matrix product uses now, the calling thread included. */
  readonly threads: number;
  /** The runtime and its version, e.g. `'node 22.12.0'`, `'bun 1.2.0'`, `'deno 2.1.0'`, `'browser'`. */
  readonly runtime: string;
  /** Why something is off that could be on (each reason once, oldest first); see {@link setBackendDebug}. */
  readonly notices: readonly string[];
}

/**
 * What the numeric back end uses as of now: WebAssembly, fused multiply-adds, the thread count and
 * the runtime. The kernels load on first use, so call it after {@link ready} (or after a product)
 * to see the state a large product runs in.
 *
 * How to get each one on: `wasm` needs a runtime with WebAssembly SIMD (Node 20+, Deno, Bun, current
 * browsers); `fma` needs relaxed SIMD, native in Node 22+, Chromium, Deno and Bun, and on Node 20
 * behind `node --experimental-wasm-relaxed-simd`; `threads > 1` needs Node's `worker_threads`,
 * Deno or Bun, or in a browser a cross-origin-isolated page (COOP `same-origin` and COEP
 * `require-corp`), and more than one core.
 * @returns `{ wasm, fma, threads, runtime, notices }`.
 * @example
 * ```ts
 * import { backendInfo, ready } from '@tapegrad/core';
 * await ready();
 * console.log(backendInfo()); // { wasm: true, fma: true, threads: 2, runtime: 'node 22.12.0', notices: [] }
 * ```
 * @category Linear algebra
 */
export function backendInfo(): BackendInfo {
  const wasm = wasmReady() && sigmoidWasmReady();
  return {
    wasm,
    fma: wasm && wasmFmaActive(),
    threads: wasm ? wasmThreads() : 1,
    runtime: runtimeLabel(),
    notices: noticesSoFar(),
  };
}

/**
 * Loads the WebAssembly kernels and starts the GEMM worker threads, and resolves once they run.
 * Optional: the kernels otherwise load synchronously on first use and the workers join the large
 * products after the first; a page calls it to have everything ready before its first product.
 * @param opts `threads`: how many threads large products may use, the calling thread included
 *   (0, the default, means the available cores, at most 4; 1 means no workers).
 * @returns The {@link BackendInfo} once loaded.
 * @example
 * ```ts
 * import { ready } from '@tapegrad/core';
 * const info = await ready();
 * console.log(info.wasm); // true
 * ```
 * @category Linear algebra
 */
export async function ready(opts: { readonly threads?: number } = {}): Promise<BackendInfo> {
  if (opts.threads !== undefined) setWasmThreads(opts.threads);
  await preloadWorkerThreads();
  await wasmWarmUp();
  return backendInfo();
}

/**
 * Turns the back end's debug channel on (with a listener) or off (with `undefined`). The listener
 * receives each reason for a fallback the user could fix (a page that is not cross-origin isolated,
 * a blocked worker, a missing WebAssembly feature) once, starting with those already seen.
 * @param listener Called with one message per reason, or `undefined` to stop.
 * @returns Nothing.
 * @example
 * ```ts
 * import { setBackendDebug } from '@tapegrad/core';
 * setBackendDebug((message) => console.debug('tapegrad:', message));
 * ```
 * @category Linear algebra
 */
export function setBackendDebug(listener: ((message: string) => void) | undefined): void {
  setNoticeListener(listener);
}
