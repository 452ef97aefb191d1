/**
 * Builds the playground into the documentation site (run by `pnpm docs`, after typedoc):
 *   docs/api/playground.html          the page (editor, Run/Stop, output, graph, gradients, trace)
 *   docs/api/playground/main.js       the page's script (CodeMirror), plus chunks; Graphviz is a chunk
 *                                     loaded the first time a graph is drawn
 *   docs/api/playground/worker.js     tapegrad and sucrase, run in a worker inside a sandboxed iframe
 *   docs/api/playground/runner.html   that iframe: opaque origin, no network
 *   docs/api/playground/data/*.csv    the data sets, fetched when a program mentions them
 *   docs/api/playground/size.json     the JavaScript sizes, checked against the budget below
 * and adds an "Open in playground" link under every TypeScript block of the guides and the README.
 * Run: tsx scripts/build-playground.ts (exit 1 when a size is over budget or a guide's blocks don't line up).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { encodeCode } from '../docs/playground/url-code.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'docs', 'playground');
const site = join(root, 'docs', 'api');
const out = join(site, 'playground');

/**
 * The budget, in bytes of minified JavaScript as served (gzip in brackets is what travels on a
 * compressing server). The page must be light to open; the worker holds tapegrad and the TypeScript
 * stripper (core, nn, nn/node, viz and verify: all of them, since the sandboxed worker cannot fetch
 * more later); Graphviz (≈1.4 MB of Wasm in JS) is loaded only when the first graph is drawn.
 */
export const BUDGET = { page: 450_000, worker: 750_000, graphviz: 1_600_000 } as const;

/** The page's Content-Security-Policy. Styles inline: CodeMirror writes its own style elements. */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The guides' Markdown files and the pages typedoc makes of them. */
const PAGES: readonly { md: string; html: string }[] = [
  { md: 'README.md', html: 'index.html' },
  ...JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')).projectDocuments.map((md: string) => ({ md, html: '' })),
];

/** The ```ts / ```typescript blocks of a Markdown text (as test/docs/snippets.ts reads them). */
export function tsBlocks(md: string): string[] {
  const blocks: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trim().startsWith(open[2]!); j++) body.push(lines[j]!);
    blocks.push(body.join('\n'));
    i = j;
  }
  return blocks;
}

/** The guide page typedoc wrote for a Markdown file: the page whose title is the file's first heading. */
function pageFor(md: string): string | null {
  if (md === 'README.md') return join(site, 'index.html');
  const dir = join(site, 'documents');
  if (!existsSync(dir)) return null;
  const text = readFileSync(join(root, md), 'utf8');
  const heading = (/^title:\s*(.+)$/m.exec(text.startsWith('---') ? text.slice(0, text.indexOf('\n---', 3)) : '') ?? /^#\s+(.+)$/m.exec(text))?.[1]?.trim();
  const base = md.split('/').pop()!.replace(/\.md$/, '');
  for (const name of readdirSync(dir)) {
    const html = readFileSync(join(dir, name), 'utf8');
    const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
    if (name === `${base}.html` || (heading !== undefined && title.startsWith(`${heading.replace(/&/g, '&amp;')} |`))) return join(dir, name);
  }
  return null;
}

/** Adds the "Open in playground" links; returns how many blocks got one. */
export function linkSnippets(): { links: number; failures: string[] } {
  let links = 0;
  const failures: string[] = [];
  for (const { md } of PAGES) {
    const page = pageFor(md);
    if (page === null) {
      failures.push(`${md}: no page in the built site`);
      continue;
    }
    const blocks = tsBlocks(readFileSync(join(root, md), 'utf8'));
    let html = readFileSync(page, 'utf8').replace(/<p class="tg-open">[\s\S]*?<\/p>/g, '');
    const toPlayground = relative(dirname(page), join(site, 'playground.html')).split('\\').join('/');
    let k = 0;
    html = html.replace(/<pre><code class="(?:ts|typescript)">[\s\S]*?<\/pre>/g, (pre) => {
      const code = blocks[k++];
      if (code === undefined) return pre;
      links++;
      return `${pre}<p class="tg-open"><a href="${toPlayground}#code=${encodeCode(code)}" data-snippet="${md}#${k}">Open in playground</a></p>`;
    });
    if (k !== blocks.length) failures.push(`${md}: ${blocks.length} TypeScript blocks in the Markdown, ${k} on the page`);
    if (md === 'README.md' && !html.includes('class="tg-home"')) {
      html = html.replace(/(<div class="tsd-panel tsd-typography">)/, `$1<p class="tg-home"><a href="${toPlayground}">Open the playground</a>: edit and run tapegrad in the browser, with its graph, gradients and trace.</p>`);
    }
    writeFileSync(page, html);
  }
  return { links, failures };
}

function bytes(file: string): { raw: number; gzip: number } {
  const b = readFileSync(file);
  return { raw: b.length, gzip: gzipSync(b).length };
}

/** Files an entry pulls in at load (static imports), from esbuild's metafile. */
function staticClosure(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const imp of meta.outputs[f]?.imports ?? []) if (imp.kind === 'import-statement') stack.push(imp.path);
  }
  return [...seen];
}

export interface SizeReport {
  readonly page: { raw: number; gzip: number; files: string[] };
  readonly worker: { raw: number; gzip: number };
  readonly graphviz: { raw: number; gzip: number; files: string[] };
  readonly budget: typeof BUDGET;
}

async function main(): Promise<void> {
  if (!existsSync(join(site, 'index.html'))) {
    console.error('build-playground: no site at docs/api; run typedoc first (pnpm docs does)');
    process.exitCode = 2;
    return;
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'data'), { recursive: true });
  const page = await build({
    entryPoints: { main: join(src, 'main.ts') },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    metafile: true,
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({
    entryPoints: { worker: join(src, 'worker.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['source'],
    // Error classes keep their names (a ShapeError prints as ShapeError).
    keepNames: true,
    alias: { '@viz-js/viz': join(src, 'viz-shim.ts'), 'node:fs': join(src, 'fs-shim.ts') },
    // The data sets (0.4 MB) are not carried in the worker: the page fetches the ones a program names.
    plugins: [{
      name: 'datasets',
      setup(b) {
        b.onResolve({ filter: /[\\/]datasets[\\/](breast-cancer|digits|words)\.ts$/ }, () => ({ path: join(src, 'datasets-shim.ts') }));
      },
    }],
    legalComments: 'none',
    logLevel: 'warning',
  });

  const runnerScript = readFileSync(join(src, 'runner.js'), 'utf8');
  const hash = createHash('sha256').update(runnerScript).digest('base64');
  const runnerCsp = `default-src 'none'; script-src 'sha256-${hash}' blob: 'wasm-unsafe-eval'; worker-src blob:; connect-src 'none'; base-uri 'none'; form-action 'none'`;
  writeFileSync(
    join(out, 'runner.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${runnerCsp}"><title>runner</title></head><body><script>${runnerScript}</script></body></html>\n`,
  );
  writeFileSync(join(site, 'playground.html'), readFileSync(join(src, 'playground.html'), 'utf8').replace('%CSP%', PAGE_CSP));
  copyFileSync(join(src, 'playground.css'), join(out, 'playground.css'));
  const sets: Record<string, string> = {
    'breast-cancer.txt': (await import('../packages/nn/src/datasets/breast-cancer.ts')).BREAST_CANCER_CSV,
    'digits.txt': (await import('../packages/nn/src/datasets/digits.ts')).DIGITS_CSV,
    'words.txt': (await import('../packages/nn/src/datasets/words.ts')).WORDS_TXT,
  };
  for (const [f, text] of Object.entries(sets)) writeFileSync(join(out, 'data', f), text);

  const meta = page.metafile;
  const mainOut = Object.keys(meta.outputs).find((f) => meta.outputs[f]!.entryPoint?.endsWith('main.ts'))!;
  const initial = staticClosure(meta, mainOut).filter((f) => f.endsWith('.js'));
  const lazy = Object.keys(meta.outputs).filter((f) => f.endsWith('.js') && !initial.includes(f));
  const sum = (files: string[]) => files.map((f) => bytes(join(root, f))).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }), { raw: 0, gzip: 0 });
  const report: SizeReport = {
    page: { ...sum(initial), files: initial.map((f) => relative(site, join(root, f))) },
    worker: bytes(join(out, 'worker.js')),
    graphviz: { ...sum(lazy), files: lazy.map((f) => relative(site, join(root, f))) },
    budget: BUDGET,
  };
  writeFileSync(join(out, 'size.json'), JSON.stringify(report, null, 2) + '\n');
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`playground: page ${kb(report.page.raw)} (gzip ${kb(report.page.gzip)}), worker ${kb(report.worker.raw)} (gzip ${kb(report.worker.gzip)}), Graphviz on first draw ${kb(report.graphviz.raw)} (gzip ${kb(report.graphviz.gzip)})`);
  const over = (['page', 'worker', 'graphviz'] as const).filter((k) => report[k].raw > BUDGET[k]);
  for (const k of over) console.error(`build-playground: ${k} JavaScript is ${report[k].raw} bytes, over the budget of ${BUDGET[k]}`);

  const { links, failures } = linkSnippets();
  for (const f of failures) console.error(`build-playground: ${f}`);
  console.log(`playground: ${links} "Open in playground" links in ${PAGES.length} pages`);
  if (over.length > 0 || failures.length > 0) process.exitCode = 1;
  void statSync;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
