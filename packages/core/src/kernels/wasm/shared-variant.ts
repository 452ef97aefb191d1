// The shared-memory variant of a kernel module, made from its unshared binary by one byte.
/**
 * Each kernel module imports its memory as `(memory 1 65536)`; the variant that runs on a shared memory
 * (worker threads) imports `(memory 1 65536 shared)`. The two binaries differ in one byte, the flags of
 * the memory import's limits (1: has a maximum; 3: has a maximum and is shared), so the library ships the
 * unshared binaries only and derives the shared ones here. `scripts/build-wasm.ts` assembles both from
 * the text and checks that this function turns one into the other, byte for byte.
 *
 * @internal
 * @packageDocumentation
 */

function readUleb(bytes: Uint8Array, at: { p: number }): number {
  let x = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at.p++]!;
    x += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return x;
    shift += 7;
  }
}

/**
 * A copy of a module binary whose memory import is shared. Throws when the module has no memory
 * import with a maximum (the one form the build emits).
 * @internal
 */
export function sharedVariant(unshared: Uint8Array): Uint8Array<ArrayBuffer> {
  const bytes = Uint8Array.from(unshared);
  const at = { p: 8 }; // past the magic number and the version
  while (at.p < bytes.length) {
    const id = bytes[at.p++]!;
    const size = readUleb(bytes, at);
    const end = at.p + size;
    if (id === 2) {
      for (let count = readUleb(bytes, at); count > 0; count--) {
        for (let name = 0; name < 2; name++) {
          const length = readUleb(bytes, at); // the module name, then the field name
          at.p += length;
        }
        const kind = bytes[at.p++]!;
        if (kind === 0x02) {
          if (bytes[at.p] !== 0x01) break;
          bytes[at.p] = 0x03;
          return bytes;
        }
        if (kind === 0x00) readUleb(bytes, at); // a function's type index
        else throw new Error('sharedVariant: unexpected import kind');
      }
    }
    at.p = end;
  }
  throw new Error('sharedVariant: no memory import with a maximum');
}
