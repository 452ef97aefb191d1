// The runtime the kernels run in: its name, how to start a worker thread, and the debug channel.
/**
 * What the kernels need to know about the JavaScript runtime they run in: its name, how to start
 * a worker thread from source text (Node's `worker_threads`, or a Web Worker from a Blob URL in
 * browsers, Deno and Bun), whether this thread may block in `Atomics.wait`, and the debug channel
 * on which a fallback the user could fix is reported, once per reason.
 *
 * @internal
 * @packageDocumentation
 */

/** The runtime families the kernels tell apart. @internal */
export type RuntimeName = 'node' | 'bun' | 'deno' | 'browser' | 'worker' | 'unknown';

interface ProcessLike {
  versions?: { node?: string; bun?: string };
  getBuiltinModule?: (id: string) => unknown;
}

const g = globalThis as {
  process?: ProcessLike;
  Bun?: unknown;
  Deno?: { version?: { deno?: string } };
  window?: unknown;
  document?: unknown;
  importScripts?: unknown;
  crossOriginIsolated?: boolean;
};

/** The runtime this copy of the library runs in. @internal */
export function runtimeName(): RuntimeName {
  if (g.Bun !== undefined) return 'bun';
  if (g.Deno !== undefined) return 'deno';
  if (typeof g.process?.versions?.node === 'string') return 'node';
  if (g.window !== undefined && g.document !== undefined) return 'browser';
  if (typeof g.importScripts === 'function') return 'worker';
  return 'unknown';
}

/** The runtime with its version where known, as `backendInfo().runtime` shows it. @internal */
export function runtimeLabel(): string {
  const name = runtimeName();
  if (name === 'bun') return `bun ${g.process?.versions?.bun ?? ''}`.trim();
  if (name === 'deno') return `deno ${g.Deno?.version?.deno ?? ''}`.trim();
  if (name === 'node') return `node ${g.process?.versions?.node ?? ''}`;
  return name;
}

// ---- debug channel ---------------------------------------------------------------------------

/** A listener of the backend's notices. @internal */
export type NoticeListener = (message: string) => void;

let listener: NoticeListener | undefined;
const notices: string[] = [];

/**
 * Reports a fallback the user could fix, once per distinct message: it is kept for
 * `backendInfo().notices` and passed to the listener, if one is set.
 * @internal
 */
export function notice(message: string): void {
  if (notices.includes(message)) return;
  notices.push(message);
  listener?.(message);
}

/** Sets (or clears, with undefined) the listener; it first receives the notices so far. @internal */
export function setNoticeListener(fn: NoticeListener | undefined): void {
  listener = fn;
  if (fn !== undefined) for (const m of notices) fn(m);
}

/** The notices so far, oldest first. @internal */
export function noticesSoFar(): readonly string[] {
  return notices.slice();
}

// ---- threads -----------------------------------------------------------------------------------

/** A started worker, whatever the runtime. @internal */
export interface ThreadHandle {
  /** Stops the thread (asynchronously where the runtime does so). */
  terminate(): void;
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', listener: (arg: unknown) => void): unknown;
}
interface WorkerThreadsModule {
  Worker: new (src: string, opts: { eval: true; workerData: unknown }) => NodeWorker;
}
interface WebWorker {
  postMessage(data: unknown): void;
  terminate(): void;
  addEventListener(type: 'error', fn: (e: { message?: string }) => void): void;
}
interface WebGlobals {
  Worker?: new (url: string, opts?: { type?: 'module'; name?: string }) => WebWorker;
  Blob?: new (parts: string[], opts: { type: string }) => object;
  URL?: { createObjectURL?(blob: object): string };
}

let workerThreads: WorkerThreadsModule | undefined;

/**
 * Loads `node:worker_threads` where `process.getBuiltinModule` is missing (Node before 20.16):
 * only `ready()` can do that, as it may await.
 * @internal
 */
export async function preloadWorkerThreads(): Promise<void> {
  if (runtimeName() !== 'node' || workerThreadsModule() !== undefined) return;
  try {
    const id = 'node:worker_threads';
    workerThreads = (await import(/* @vite-ignore */ id)) as WorkerThreadsModule;
  } catch {
    // stays single-threaded; workerThreadsModule() reports it
  }
}

function workerThreadsModule(): WorkerThreadsModule | undefined {
  if (workerThreads !== undefined) return workerThreads;
  try {
    workerThreads = g.process?.getBuiltinModule?.('node:worker_threads') as WorkerThreadsModule | undefined;
  } catch {
    workerThreads = undefined;
  }
  return workerThreads;
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). @internal */
export function canBlock(probe: Int32Array): boolean {
  try {
    // The value differs from what the slot holds, so this returns at once where waiting is allowed.
    Atomics.wait(probe, 0, Atomics.load(probe, 0) + 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Why products keep to one thread where memory cannot be shared with workers (a page that is not cross-origin isolated). @internal */
export const NO_SHARED_MEMORY =
  'SharedArrayBuffer is unavailable (the page is not cross-origin isolated), so GEMM runs on one thread: serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to get GEMM threads';

/**
 * How this runtime starts a worker from source, or the reason it cannot. Node and Deno use
 * `worker_threads` with `eval`; browsers and Bun use a Web Worker made from a Blob URL (classic in
 * browsers, module in Bun), which needs a cross-origin-isolated page in browsers.
 * @internal
 */
export function threadSupport(): { kind: 'node' | 'web' } | { kind: 'none'; reason: string } {
  const name = runtimeName();
  // Deno runs Node's worker_threads too, and there (unlike its Web Workers) an idle worker can be unref'd
  // so that it does not keep the process alive; Bun's Web Workers can be unref'd and need no CommonJS.
  if (name !== 'bun' && workerThreadsModule() !== undefined) return { kind: 'node' };
  if (name === 'node') {
    return { kind: 'none', reason: 'node:worker_threads is not available before ready() on this Node version (no process.getBuiltinModule); await ready() to load it' };
  }
  const web = globalThis as WebGlobals;
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false) return { kind: 'none', reason: NO_SHARED_MEMORY };
  if (web.Worker === undefined || web.Blob === undefined || web.URL?.createObjectURL === undefined) {
    return { kind: 'none', reason: `no Worker or Blob URL support in this runtime (${name}); GEMM runs on one thread` };
  }
  return { kind: 'web' };
}

/**
 * Starts a worker running `source` (which defines `run(data)`) with `data` as its argument.
 * `onExit` is called if the thread dies or fails to start. Returns undefined when it cannot start.
 * @internal
 */
export function startThread(nodeSource: string, webSource: string, data: unknown, onExit: (why: string) => void): ThreadHandle | undefined {
  const support = threadSupport();
  if (support.kind === 'none') {
    notice(support.reason);
    return undefined;
  }
  if (support.kind === 'node') {
    const wt = workerThreadsModule()!;
    try {
      const w = new wt.Worker(nodeSource, { eval: true, workerData: data });
      // Idle workers sleep in Atomics.wait; they must never keep the process alive.
      w.unref();
      w.on('error', (e) => onExit(`GEMM worker failed: ${String((e as { message?: string })?.message ?? e)}`));
      w.on('exit', () => onExit('GEMM worker exited'));
      return { terminate: () => void w.terminate() };
    } catch (e) {
      notice(`could not start a GEMM worker thread (${String((e as Error)?.message ?? e)}); GEMM runs on one thread`);
      return undefined;
    }
  }
  const web = globalThis as WebGlobals;
  try {
    // The Blob URL is not revoked: the worker may fetch it after this returns, and there are at most a few.
    const url = web.URL!.createObjectURL!(new web.Blob!([webSource], { type: 'text/javascript' }));
    // The source is a classic script. Browsers start it as one: a module worker from a Blob URL fails to
    // start in an opaque origin (a sandboxed iframe, as the docs playground runs programs in); Bun and
    // Deno take module workers.
    const isBrowser = runtimeName() === 'browser' || runtimeName() === 'worker';
    const w = new web.Worker!(url, isBrowser ? { name: 'tapegrad-gemm' } : { type: 'module', name: 'tapegrad-gemm' });
    // Bun and Deno let an idle worker keep the process alive unless it is unreferenced.
    (w as { unref?: () => void }).unref?.();
    w.addEventListener('error', (e) => onExit(`GEMM worker failed: ${e.message ?? 'error event'} (a Content-Security-Policy without worker-src blob: blocks it)`));
    w.postMessage(data);
    return { terminate: () => w.terminate() };
  } catch (e) {
    notice(`could not start a GEMM Web Worker (${String((e as Error)?.message ?? e)}); GEMM runs on one thread`);
    return undefined;
  }
}
