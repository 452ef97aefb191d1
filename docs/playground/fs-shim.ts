/** Stands in for `node:fs` in the playground's worker (for `@tapegrad/nn/node`): there is no file system. */
export function readFileSync(path: string | URL): never {
  throw new Error(`readFileSync: the playground has no file system, so ${String(path)} cannot be read`);
}
