// Registered-symbol brands that tell this copy of the library from another one in the same process.
/**
 * Which copy of `@tapegrad/core` an object comes from. An app can end up with two copies (its own and
 * a dependency's, whenever their version ranges differ); a Tensor of one is not an `instanceof` the
 * other's class, and the two copies keep separate tapes and grad modes, so mixing them must fail at the
 * first mixed call with a message that names both copies. Every copy marks its classes' prototypes with
 * registered symbols (`Symbol.for`, the same in every copy) that carry the copy's version and location.
 * @internal
 * @packageDocumentation
 */

/** The version of this copy (kept equal to package.json's by a test). @internal */
export const VERSION = '0.1.0';

/** One loaded copy of the library. @internal */
export interface CopyInfo {
  /** The package version. */
  readonly version: string;
  /** Where the copy was loaded from (its module URL). */
  readonly url: string;
}

/** This copy. @internal */
export const THIS_COPY: CopyInfo = Object.freeze({ version: VERSION, url: locate() });

function locate(): string {
  try {
    return import.meta.url;
  } catch {
    return 'unknown location';
  }
}

/** Registered symbols, identical in every copy, that brand Tensor and Value prototypes. @internal */
export const BRANDS: { readonly Tensor: symbol; readonly Value: symbol } = {
  Tensor: Symbol.for('tapegrad.core.Tensor'),
  Value: Symbol.for('tapegrad.core.Value'),
};

const REGISTRY = Symbol.for('tapegrad.core.copies');

/** Marks a class's prototype as this copy's `kind`, and registers the copy. @internal */
export function brandPrototype(proto: object, kind: keyof typeof BRANDS): void {
  Object.defineProperty(proto, BRANDS[kind], { value: THIS_COPY, enumerable: false });
  const g = globalThis as Record<symbol, CopyInfo[] | undefined>;
  const copies = (g[REGISTRY] ??= []);
  if (!copies.includes(THIS_COPY)) copies.push(THIS_COPY);
}

/** The other copy that `x` comes from, when it is a `kind` of another copy; undefined otherwise. @internal */
export function foreignCopy(x: unknown, kind: keyof typeof BRANDS): CopyInfo | undefined {
  if (x === null || (typeof x !== 'object' && typeof x !== 'function')) return undefined;
  const info = (x as Record<symbol, unknown>)[BRANDS[kind]] as CopyInfo | undefined;
  return info !== undefined && info !== THIS_COPY && typeof info.version === 'string' ? info : undefined;
}

/** The words for a `kind` from another copy, for "got …" in error messages. @internal */
export function describeForeign(kind: keyof typeof BRANDS, other: CopyInfo): string {
  return `a ${kind} from another copy of @tapegrad/core (${other.version} at ${other.url}), `
    + `while this copy is ${THIS_COPY.version} at ${THIS_COPY.url}; objects cannot cross copies: `
    + 'install a single copy (npm dedupe, or matching version ranges)';
}

/**
 * The grad mode (recording on or off) shared by every copy of the library in the process, so that one
 * copy's `noGrad` also stops another copy from recording (a dependency's model called inside the app's
 * `noGrad`). Each copy keeps the mode in a plain field of its own state object, read on every recorded op;
 * a copy registers that object here, and a change writes it into every registered copy (changes are rare,
 * reads are not: a read through a shared cell measured 10-18 % of an eager `Value` step). Registered under
 * a versioned symbol: a future layout gets a new key.
 * @internal
 */
export function sharedGradMode(mine: { isRecording: boolean }): (on: boolean) => void {
  const key = Symbol.for('tapegrad.core.gradMode.v2');
  type Shared = { isRecording: boolean; copies: WeakRef<{ isRecording: boolean }>[] };
  const g = globalThis as Record<symbol, Shared | undefined>;
  const shared = (g[key] ??= { isRecording: true, copies: [] });
  // Held weakly, so a copy that is unloaded (a dev server reloading modules) is dropped, not kept.
  shared.copies.push(new WeakRef(mine));
  mine.isRecording = shared.isRecording;
  return (on) => {
    shared.isRecording = on;
    let kept = 0;
    for (const ref of shared.copies) {
      const copy = ref.deref();
      if (copy === undefined) continue;
      copy.isRecording = on;
      shared.copies[kept++] = ref;
    }
    shared.copies.length = kept;
  };
}
