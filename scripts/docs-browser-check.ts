/// <reference lib="dom" />
/**
 * Opens the built documentation site in headless Chromium and checks it as a reader would see it:
 * the derivation guide shows its SVG graph (the image loads and has a size), and every API page and guide
 * loads without a console error, a page error, or a failed request.
 *
 * Needs the site (pnpm docs → docs/api) and Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
 * Run: pnpm docs:check. Exit code 0 when everything passes, 1 on failures, 2 when the site or the
 * browser is missing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { checkPlayground, type PlaygroundFigures } from './playground-check.ts';
import { serveSite } from './site-server.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const site = join(root, 'docs', 'api');
const executablePath = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function htmlPages(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'assets' ? [] : htmlPages(p);
    return name.endsWith('.html') ? [relative(site, p).split(sep).join('/')] : [];
  });
}

export interface CheckResult {
  readonly pages: number;
  readonly failures: readonly string[];
  readonly playground: PlaygroundFigures | null;
}

/** Runs the check; resolves with the failures (empty when everything passed). */
export async function checkSite(): Promise<CheckResult> {
  const server = await serveSite(site);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const plainServer = await serveSite(site, 0, { isolated: false });
  const basePlain = `http://127.0.0.1:${(plainServer.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({ executablePath, args: ARGS });
  const failures: string[] = [];
  const pages = htmlPages(site);
  let playground: PlaygroundFigures | null = null;
  try {
    const context = await browser.newContext();
    const watch = (label: () => string): Promise<import('playwright-core').Page> =>
      context.newPage().then((page) => {
        page.on('console', (msg) => {
          if (msg.type() === 'error') failures.push(`${label()}: console error: ${msg.text()}`);
        });
        page.on('pageerror', (err) => failures.push(`${label()}: page error: ${err.message}`));
        // The page each request was made for: a request aborted because the tab moved on to the next page
        // (a blob: URL, or the playground's worker.js still loading) is not a broken link of either page.
        const madeFor = new WeakMap<import('playwright-core').Request, string>();
        page.on('request', (req) => madeFor.set(req, label()));
        page.on('requestfailed', (req) => {
          const from = madeFor.get(req) ?? label();
          if (req.failure()?.errorText === 'net::ERR_ABORTED' && (req.url().startsWith('blob:') || from !== label())) return;
          failures.push(`${from}: request failed: ${req.url()} (${req.failure()?.errorText ?? '?'})`);
        });
        page.on('response', (res) => {
          if (res.status() >= 400) failures.push(`${label()}: HTTP ${res.status()} for ${res.url()}`);
        });
        return page;
      });
    let current = '';
    const page = await watch(() => current);

    // The derivation guide renders its graph: an <img> of an SVG that loaded with a real size, or inline SVG.
    const guide = pages.find((p) => /(^|\/)documents\/.*derivation.*\.html$/i.test(p));
    if (guide === undefined) failures.push('no page for the derivation guide in docs/api/documents/');
    else {
      current = guide;
      await page.goto(base + guide, { waitUntil: 'load' });
      const graphs = await page.evaluate(() => {
        const imgs = Array.from(document.querySelectorAll('img')).filter((i) => /\.svg($|\?)/.test(i.getAttribute('src') ?? ''));
        return {
          images: imgs.map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 && i.naturalHeight > 0 })),
          inline: document.querySelectorAll('.tsd-panel svg g.node, .col-content svg g.node').length,
        };
      });
      const loaded = graphs.images.filter((i) => i.ok);
      if (loaded.length === 0 && graphs.inline === 0) failures.push(`${guide}: no SVG graph rendered (${JSON.stringify(graphs.images)})`);
      for (const i of graphs.images.filter((i) => !i.ok)) failures.push(`${guide}: SVG image did not render: ${i.src}`);
      // The SVG itself is a Graphviz drawing of the neuron.
      const neuron = graphs.images.find((i) => i.src?.includes('neuron-graph'));
      if (neuron === undefined) failures.push(`${guide}: the neuron graph image is missing`);
      else {
        const svg = await (await page.request.get(new URL(neuron.src!, base + guide).href)).text();
        if (!svg.includes('class="node"') || !svg.includes('sigmoid')) failures.push(`${guide}: neuron-graph.svg is not the Graphviz drawing of the neuron`);
      }
    }

    // Every page (API reference and guides) loads without errors; four tabs at a time.
    let next = 0;
    const worker = async (): Promise<void> => {
      let at = '';
      const tab = await watch(() => at);
      for (let i = next++; i < pages.length; i = next++) {
        at = pages[i]!;
        await tab.goto(base + at, { waitUntil: 'load' });
        if ((await tab.title()).trim() === '') failures.push(`${at}: empty title`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await context.close();
    playground = await checkPlayground(browser, base, basePlain, site, root, failures);
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => plainServer.close(resolve));
  }
  return { pages: pages.length, failures, playground };
}

async function main(): Promise<void> {
  if (!existsSync(join(site, 'index.html'))) {
    console.error(`docs-browser-check: no site at ${relative(root, site)}; run pnpm docs first`);
    process.exitCode = 2;
    return;
  }
  if (!existsSync(executablePath)) {
    console.error(`docs-browser-check: no browser at ${executablePath}; install Debian's chromium (apt-get install -y chromium) or set CHROMIUM`);
    process.exitCode = 2;
    return;
  }
  const { pages, failures, playground } = await checkSite();
  for (const f of failures) console.error(`FAIL ${f}`);
  if (playground !== null) {
    const ms = [...playground.sliderUpdateMs].sort((a, b) => a - b);
    const size = JSON.parse(readFileSync(join(site, 'playground', 'size.json'), 'utf8')) as Record<string, { raw: number; gzip: number }>;
    const kb = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
    console.log(
      `playground: click → first output ${playground.firstOutputMs?.toFixed(0) ?? '?'} ms (seed neuron); ` +
        `slider update median ${ms[Math.floor(ms.length / 2)]?.toFixed(0) ?? '?'} ms, max ${ms.at(-1)?.toFixed(0) ?? '?'} ms over ${ms.length}; ` +
        `${playground.snippets} guide snippets matched Node; JS page ${kb(size['page']!.raw)}, worker ${kb(size['worker']!.raw)}, Graphviz (lazy) ${kb(size['graphviz']!.raw)}`,
    );
    console.log(`playground: GEMM threads ${playground.threads.isolated} served cross-origin isolated, ${playground.threads.notIsolated} served without the headers`);
    for (const l of playground.layouts) {
      console.log(`playground at ${l.screen}: sideways overflow ${l.overflowPx} px, layout shift ${l.shift} and ${l.moved.toFixed(1)} px moved when output arrived, ${l.tabStops} Tab stops to the output`);
    }
    for (const s of playground.screenshots) console.log(`screenshot: ${relative(root, s)}`);
  }
  console.log(`docs-browser-check: ${pages} pages, ${failures.length} failure${failures.length === 1 ? '' : 's'}`);
  if (failures.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
