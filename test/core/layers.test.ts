// The layer table of packages/core/src, checked on the sources: run-time imports point only down, and the only cycles are sin↔cos, concat↔slice, gather↔scatterAdd and fold↔unfold.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../packages/core/src');

/**
 * The layers, bottom first. A file's layer is the first entry whose folder contains it; a file may
 * import at run time only files of its own layer or of the layers its row lists. `import type` (and
 * `export type`) is erased by the compiler and may point anywhere. `kernels/wasm/gen/` holds build-time
 * generators: only other generators (and scripts/) may import them.
 */
const LAYERS: readonly { readonly name: string; readonly folder: string; readonly mayImport: readonly string[] }[] = [
  { name: 'gen', folder: 'kernels/wasm/gen/', mayImport: ['base', 'kernels'] },
  { name: 'base', folder: 'base/', mayImport: [] },
  { name: 'kernels', folder: 'kernels/', mayImport: ['base'] },
  { name: 'graph', folder: 'graph/', mayImport: ['base', 'kernels'] },
  { name: 'ops', folder: 'ops/', mayImport: ['base', 'kernels', 'graph'] },
  { name: 'symbolic', folder: 'symbolic/', mayImport: ['base', 'kernels', 'graph', 'ops'] },
  { name: 'autograd', folder: 'autograd/', mayImport: ['base', 'kernels', 'graph', 'ops', 'symbolic'] },
  { name: 'transforms', folder: 'transforms/', mayImport: ['base', 'kernels', 'graph', 'ops', 'symbolic', 'autograd'] },
  { name: 'root', folder: '', mayImport: ['base', 'kernels', 'graph', 'ops', 'symbolic', 'autograd', 'transforms'] },
];

/** Run-time cycles allowed by name: ops whose derivatives use each other, resolved at call time. */
const ALLOWED_CYCLES: readonly (readonly string[])[] = [
  ['ops/cos.ts', 'ops/sin.ts'],
  ['ops/concat.ts', 'ops/slice.ts'],
  ['ops/gather.ts', 'ops/scatter-add.ts'],
  ['ops/fold.ts', 'ops/unfold.ts'],
];

function layerOf(file: string): string | undefined {
  if (!file.includes('/')) return file === 'index.ts' ? 'root' : undefined;
  return LAYERS.find((l) => l.folder !== '' && file.startsWith(l.folder))?.name;
}

/**
 * The files a source imports at run time, as paths relative to the source root. Type-only imports
 * and exports are dropped; `import { type A }` is kept, because under `verbatimModuleSyntax` it still
 * loads the module (`import {} from …`).
 */
export function runtimeImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const add = (spec: string): void => {
    if (!spec.startsWith('.')) return;
    out.push(posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      if (node.importClause?.isTypeOnly !== true) add(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const isAllTypes = node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 &&
        node.exportClause.elements.every((e) => e.isTypeOnly);
      if (!node.isTypeOnly && !isAllTypes) add(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteral(arg)) add(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Every broken rule of a set of sources (path relative to the source root → text); empty when the layering holds. */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const edges = new Map<string, string[]>();
  for (const [file, text] of files) {
    const from = layerOf(file);
    if (from === undefined) {
      problems.push(`${file}: not in a layer folder (${LAYERS.map((l) => l.folder || 'index.ts').join(', ')})`);
      continue;
    }
    const allowed = [from, ...LAYERS.find((l) => l.name === from)!.mayImport];
    const targets = runtimeImports(file, text).filter((t) => files.has(t) || !t.startsWith('..'));
    edges.set(file, targets.filter((t) => files.has(t)));
    for (const target of targets) {
      const to = layerOf(target);
      if (to === undefined || !allowed.includes(to)) problems.push(`${file} (${from}) imports ${target} (${to ?? 'no layer'}) at run time`);
    }
  }
  for (const component of stronglyConnected(edges)) {
    const isSelfLoop = component.length === 1 && edges.get(component[0]!)!.includes(component[0]!);
    if (component.length === 1 && !isSelfLoop) continue;
    const sorted = [...component].sort();
    if (!ALLOWED_CYCLES.some((c) => c.join() === sorted.join())) problems.push(`run-time import cycle: ${sorted.join(' ↔ ')}`);
  }
  return problems;
}

/** Tarjan's strongly connected components, iteratively (the graph is small, but no recursion is cheap). */
function stronglyConnected(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const start of edges.keys()) {
    if (index.has(start)) continue;
    const work: [string, number][] = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      const succ = edges.get(v) ?? [];
      if (i < succ.length) {
        frame[1]++;
        const w = succ[i]!;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        out.push(component);
      }
    }
  }
  return out;
}

function readSources(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) files.set(relative(dir, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

describe('core layers', () => {
  const sources = readSources(SRC);

  test('the sources are found', () => {
    expect(sources.size).toBeGreaterThan(60);
    expect(sources.has('graph/tensor.ts')).toBe(true);
  });

  test('run-time imports point only down the layer table, and the only cycles are sin↔cos, concat↔slice, gather↔scatterAdd and fold↔unfold', () => {
    expect(layerViolations(sources)).toEqual([]);
  });

  test('the recording layer does not import the engine or the ops at run time', () => {
    const graph = [...sources].filter(([f]) => f.startsWith('graph/'));
    const up = graph.flatMap(([f, text]) => runtimeImports(f, text).filter((t) => /^(ops|autograd|transforms)\//.test(t)).map((t) => `${f} → ${t}`));
    expect(up).toEqual([]);
  });

  test('no file of the backward pass (autograd/) is over about 200 lines', () => {
    const long = [...sources].filter(([f, text]) => f.startsWith('autograd/') && text.split('\n').length > 215).map(([f]) => f);
    expect(long).toEqual([]);
  });

  test('every file opens with a one-line comment saying what it holds', () => {
    const missing = [...sources].filter(([f, text]) => !f.endsWith('.generated.ts') && !/^\/\/ \S.*\n/.test(text)).map(([f]) => f);
    expect(missing).toEqual([]);
  });
});

describe('the layer checker itself', () => {
  const base = new Map<string, string>([
    ['base/errors.ts', 'export class E extends Error {}\n'],
    ['graph/tensor.ts', "import { E } from '../base/errors.ts';\nimport type { rule } from '../ops/sin.ts';\nexport class T {}\n"],
    ['ops/sin.ts', "import { cos } from './cos.ts';\nimport { T } from '../graph/tensor.ts';\nexport const sin = 1;\n"],
    ['ops/cos.ts', "import { sin } from './sin.ts';\nexport const cos = 1;\n"],
    ['autograd/engine.ts', "import { T } from '../graph/tensor.ts';\nimport { sin } from '../ops/sin.ts';\nexport const e = 1;\n"],
    ['index.ts', "export * from './autograd/engine.ts';\nexport { type T } from './graph/tensor.ts';\n"],
  ]);
  const withFile = (file: string, text: string): Map<string, string> => new Map([...base, [file, text]]);

  test('accepts a well-layered set (type-only imports upward, the allowed sin↔cos cycle)', () => {
    expect(layerViolations(base)).toEqual([]);
  });

  test('rejects an upward run-time import', () => {
    const broken = withFile('graph/tensor.ts', "import { e } from '../autograd/engine.ts';\nexport class T {}\n");
    expect(layerViolations(broken)).toContain('graph/tensor.ts (graph) imports autograd/engine.ts (autograd) at run time');
  });

  test('rejects `import { type X }`, which still loads the module under verbatimModuleSyntax', () => {
    const broken = withFile('base/errors.ts', "import { type T } from '../graph/tensor.ts';\nexport class E extends Error {}\n");
    expect(layerViolations(broken)).toContain('base/errors.ts (base) imports graph/tensor.ts (graph) at run time');
  });

  test('rejects a dynamic import of a higher layer and a run-time import of a build-time generator', () => {
    const up = withFile('ops/sin.ts', "import { cos } from './cos.ts';\nexport const sin = () => import('../autograd/engine.ts');\n");
    expect(layerViolations(up)).toContain('ops/sin.ts (ops) imports autograd/engine.ts (autograd) at run time');
    const gen = new Map([...base, ['kernels/wasm/gen/x-wat.ts', 'export const wat = "";\n'], ['kernels/x.ts', "import { wat } from './wasm/gen/x-wat.ts';\n"]]);
    expect(layerViolations(gen)).toContain('kernels/x.ts (kernels) imports kernels/wasm/gen/x-wat.ts (gen) at run time');
  });

  test('rejects a cycle inside a layer that is not on the allowed list', () => {
    const broken = new Map([...base, ['ops/exp.ts', "import { log } from './log.ts';\nexport const exp = 1;\n"], ['ops/log.ts', "import { exp } from './exp.ts';\nexport const log = 1;\n"]]);
    expect(layerViolations(broken)).toEqual(['run-time import cycle: ops/exp.ts ↔ ops/log.ts']);
  });

  test('rejects a file outside the layer folders', () => {
    expect(layerViolations(withFile('helpers.ts', 'export const h = 1;\n'))).toEqual([
      'helpers.ts: not in a layer folder (kernels/wasm/gen/, base/, kernels/, graph/, ops/, symbolic/, autograd/, transforms/, index.ts)',
    ]);
  });
});
