/// <reference lib="dom" />
/**
 * The playground in headless Chromium, as a reader uses it: type a program and run it (output, gradients,
 * SVG graph, trace); the seed neuron (time from click to first output, slider updates, screenshots at
 * desktop and phone widths); Stop on an endless loop; the URL round trip (shown, not run, until Run);
 * a program that tries to reach the page's DOM, storage, cookies or the network; and every guide snippet
 * through its "Open in playground" link, its output compared with the same snippet run in Node.
 * Called by scripts/docs-browser-check.ts.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { formatArgs } from '../docs/playground/format.ts';
import { decodeCode } from '../docs/playground/url-code.ts';
import { checkLayouts, type LayoutFigures } from './playground-layout-check.ts';

export interface PlaygroundFigures {
  firstOutputMs: number | null;
  sliderUpdateMs: number[];
  snippets: number;
  screenshots: string[];
  layouts: LayoutFigures[];
  /** Threads the runner's large products use, served cross-origin isolated and not. */
  threads: { isolated: number; notIsolated: number };
}

const TYPED = `import { value } from '@tapegrad/core';
const a = value(2);
const b = value(-3);
const c = a.mul(b).add(a);
playground.label({ a, b, c });
c.backward();
console.log('c =', c.data, 'da =', a.grad, 'db =', b.grad);
`;

/** In a page that is not isolated: a product that grows the kernels' memory, then ready() (it once threw). */
const GROWN_THEN_READY = `import { backendInfo, matmul, randn, ready } from '@tapegrad/core';
const a = randn([600, 600]);
matmul(a, a);
const info = await ready();
console.log(info.wasm, info.threads, backendInfo().notices.some((n) => n.includes('not cross-origin isolated')));`;

const ESCAPE = `const r: Record<string, string> = {};
const g = globalThis as any;
const t = async (k: string, f: () => unknown) => { try { r[k] = String(await f()); } catch (e) { r[k] = 'blocked ' + (e as Error).name; } };
await t('document', () => typeof g.document);
await t('window', () => typeof g.window);
await t('localStorage', () => typeof g.localStorage);
await t('parent', () => typeof g.parent);
await t('origin', () => g.origin);
await t('indexedDB', () => new Promise((res, rej) => { const q = g.indexedDB.open('x'); q.onsuccess = () => res('opened'); q.onerror = () => rej(q.error); }));
await t('caches', () => g.caches.keys());
await t('fetch', () => fetch('/index.html', { credentials: 'include' }).then((x: Response) => 'status ' + x.status));
await t('importScripts', () => { g.importScripts('/playground/main.js'); return 'loaded'; });
await t('eval', () => g.eval('1 + 1'));
await t('newFunction', () => new g.Function('return 2')());
console.log(JSON.stringify(r));
`;

async function setCode(page: Page, code: string, how: 'type' | 'insert' = 'insert'): Promise<void> {
  await page.locator('[data-testid="editor"] .cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  if (how === 'insert') {
    // As a paste or an input method delivers it: one text input event.
    await page.keyboard.insertText(code);
    return;
  }
  // Typing goes through the editor's input handling, as a reader's keystrokes do; auto-indentation
  // is undone by typing each line flush left (the programs here have no indented lines).
  for (const line of code.split('\n')) {
    await page.keyboard.type(line);
    if (line !== code.split('\n').at(-1)) await page.keyboard.press('Enter');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+Home');
  }
}

async function runAndWait(page: Page, how: 'click' | 'keys' = 'click', timeout = 60_000): Promise<void> {
  const before = Number((await page.locator('body').getAttribute('data-runs')) ?? 0);
  if (how === 'click') await page.getByTestId('run').click();
  else await page.keyboard.press('ControlOrMeta+Enter');
  await page.waitForFunction((n) => Number(document.body.dataset['runs'] ?? 0) > n, before, { timeout });
}

async function outputLines(page: Page): Promise<string[]> {
  return page.locator('[data-testid="output"] .line').allTextContents();
}

/** Runs a snippet in Node with the playground's console formatting; resolves with the printed lines. */
async function runInNode(code: string, scratch: string, k: number): Promise<string[]> {
  const file = join(scratch, `snippet-${k}.ts`);
  writeFileSync(file, `${code}\nexport {};\n`);
  const lines: string[] = [];
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const capture = (...args: unknown[]): void => {
    lines.push(...formatArgs(args).split('\n'));
  };
  console.log = console.info = console.warn = console.error = capture;
  try {
    await import(file);
  } catch (e) {
    const err = e as Error;
    lines.push(`${err.name}: ${err.message}`);
  } finally {
    Object.assign(console, saved);
  }
  return lines;
}

/**
 * Runs the playground checks against the site served at `base` (cross-origin isolated) and at
 * `baseNotIsolated` (the same files without the isolation headers).
 */
export async function checkPlayground(browser: Browser, base: string, baseNotIsolated: string, site: string, root: string, failures: string[]): Promise<PlaygroundFigures> {
  const figures: PlaygroundFigures = { firstOutputMs: null, sliderUpdateMs: [], snippets: 0, screenshots: [], layouts: [], threads: { isolated: 0, notIsolated: 0 } };
  let lap = Date.now();
  const phase = (name: string): void => {
    if (process.env['PLAYGROUND_CHECK_VERBOSE']) console.log(`playground check: ${name} ${((Date.now() - lap) / 1000).toFixed(1)} s`);
    lap = Date.now();
  };
  const fail = (what: string): void => {
    failures.push(`playground: ${what}`);
  };
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const open = async (hash = ''): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
    });
    await page.goto(`${base}playground.html${hash}`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
    return page;
  };
  try {
    // 1. Type a program, run it with the keyboard, read output, gradients, graph and trace.
    const page = await open('#example=seed-neuron');
    await setCode(page, TYPED.trimEnd(), 'type');
    await runAndWait(page, 'keys');
    const out = (await outputLines(page)).join('\n');
    if (!out.includes('c = -4 da = -2 db = 2')) fail(`typed program printed ${JSON.stringify(out)}`);
    const grads = await page.getByTestId('grads').locator('tbody tr').allTextContents();
    if (grads.join('|') !== 'ascalar-2|bscalar2') fail(`gradient pane shows ${JSON.stringify(grads)}`);
    if ((await page.locator('[data-testid="graph"] svg g.node').count()) < 4) fail('graph pane has no SVG graph of the program');
    const graphText = await page.getByTestId('graph').textContent();
    if (!graphText?.includes('grad -2') && !graphText?.includes('grad ‑2') && !/grad\s*[-−‑]2/.test(graphText ?? '')) fail(`graph does not show a's gradient: ${graphText}`);
    if (!(await page.getByTestId('trace').textContent())?.includes('step 1: add → c')) fail('trace pane does not start at c');

    // Keyboard: the controls come in reading order, and Tab leaves the editor (it does not trap focus).
    await page.locator('#example').focus();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.className || ''));
    }
    if (order[0] !== 'run' || order[1] !== 'share') fail(`tab order after the example menu: ${order.join(', ')}`);
    await page.locator('.cm-content').focus();
    await page.keyboard.press('Tab');
    if (!(await page.evaluate(() => document.activeElement?.closest('.cm-editor') === null))) fail('Tab does not leave the editor');
    phase('typed program');
    // 2. An error names its type, message and line, in the reader's code.
    await setCode(page, `import { tensor } from '@tapegrad/core';\nconst a = tensor([1, 2, 3]);\nconst b = tensor([1, 2]);\nconsole.log(a.add(b));`);
    await runAndWait(page);
    const errText = (await outputLines(page)).join('\n');
    if (!/^ShapeError: add: .*\[3\].*\[2\].*\(line 4\)$/m.test(errText)) fail(`typed error shown as ${JSON.stringify(errText)}`);
    if ((await page.locator('.cm-error-line').count()) !== 1) fail('the error line is not marked in the editor');

    phase('error');
    // 3. The seed neuron: time from click to first output, slider updates, screenshots.
    await page.getByLabel('Example').selectOption('seed-neuron');
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.body.dataset['state'] === 'done');
    const first = await page.locator('body').getAttribute('data-first-output-ms');
    figures.firstOutputMs = first === null ? null : Number(first);
    const seedOut = await outputLines(page);
    const num = (label: string): number => Number(seedOut.find((l) => l.startsWith(label))?.split('=')[1]);
    if (!(Math.abs(num('∂L/∂z') - num('ŷ − t')) < 1e-6)) fail(`seed neuron: ∂L/∂z and ŷ − t differ: ${seedOut.join(' | ')}`);
    for (const [i, z] of [-3, -1.5, 0, 0.75, 2, 4, -0.25, 1.1, 3.3, -5].entries()) {
      await page.evaluate((v) => {
        const el = document.querySelector<HTMLInputElement>('input[data-name="z"]')!;
        el.value = String(v);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, z);
      await page.waitForFunction((n) => (document.body.dataset['updateMs'] ?? '').split(',').filter(Boolean).length > n, i);
      const lines = await outputLines(page);
      const zLine = Number(lines.find((l) => l.startsWith('∂L/∂z'))?.split('=')[1]);
      const diff = Number(lines.find((l) => l.startsWith('ŷ − t'))?.split('=')[1]);
      const yhat = Number(lines.find((l) => l.startsWith('ŷ '))?.split('=')[1]);
      if (Math.abs(yhat - 1 / (1 + Math.exp(-z))) > 1e-6 || Math.abs(zLine - diff) > 1e-6) fail(`slider z = ${z}: ${lines.join(' | ')}`);
    }
    figures.sliderUpdateMs = ((await page.locator('body').getAttribute('data-update-ms')) ?? '').split(',').filter(Boolean).map(Number);
    const shots = join(site, 'playground', 'screenshots');
    mkdirSync(shots, { recursive: true });
    const layoutShift = await page.evaluate(() => {
      const panes = ['output', 'graph', 'grads', 'trace'].map((id) => document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect().top);
      return panes;
    });
    await page.screenshot({ path: join(shots, 'seed-neuron-desktop.png'), fullPage: true });
    figures.screenshots.push(join(shots, 'seed-neuron-desktop.png'));
    // No layout shift: the panes stay where they were when output arrives.
    await page.getByTestId('run').click();
    await page.waitForFunction(() => document.body.dataset['state'] === 'done');
    const after = await page.evaluate(() => ['output', 'graph', 'grads', 'trace'].map((id) => document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect().top));
    if (after.some((t, i) => Math.abs(t - layoutShift[i]!) > 0.5)) fail(`panes moved when output arrived: ${layoutShift} → ${after}`);

    phase('seed neuron');
    // 3b. 200 % zoom and a phone-width screen: no sideways scrolling, keyboard use, no layout shift.
    const layout = await checkLayouts(browser, base, shots, fail);
    figures.layouts.push(...layout.figures);
    figures.screenshots.push(...layout.screenshots);
    phase('zoom and phone');

    // 3c. The back end. Served cross-origin isolated, the runner has shared memory and large products use
    // the GEMM threads; served without the headers (as a host that sends none), one thread, the page says
    // why, and ready() after a product that grew the memory still resolves.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    figures.threads.isolated = Number(await page.locator('body').getAttribute('data-threads'));
    if (cores > 1 && !(figures.threads.isolated > 1)) fail(`cross-origin isolated, the runner uses ${figures.threads.isolated} thread(s) on ${cores} cores: ${await page.getByTestId('backend').textContent()}`);
    const plain = await context.newPage();
    plain.on('pageerror', (e) => errors.push(`page error (not isolated): ${e.message}`));
    await plain.goto(`${baseNotIsolated}playground.html`, { waitUntil: 'load' });
    await plain.waitForFunction(() => document.body.dataset['threads'] !== undefined);
    figures.threads.notIsolated = Number(await plain.locator('body').getAttribute('data-threads'));
    const note = (await plain.getByTestId('backend').textContent()) ?? '';
    if (figures.threads.notIsolated !== 1 || !note.includes('1 thread') || !note.includes('not cross-origin isolated')) fail(`not isolated: the back end line says ${JSON.stringify(note)} (threads ${figures.threads.notIsolated})`);
    await setCode(plain, GROWN_THEN_READY);
    await runAndWait(plain);
    const grown = (await outputLines(plain)).join('\n');
    if (grown !== 'true 1 true') fail(`not isolated: ready() after a large product printed ${JSON.stringify(grown)}`);
    await plain.close();
    phase('back end');
    // 4. Stop ends an endless loop, and the page keeps working.
    await setCode(page, 'let n = 0;\nwhile (true) n++;');
    await page.getByTestId('run').click();
    await page.waitForTimeout(700);
    if ((await page.locator('body').getAttribute('data-state')) !== 'running') fail('the endless loop is not running');
    const clicked = Date.now();
    await page.getByTestId('stop').click();
    await page.waitForFunction(() => document.body.dataset['state'] === 'stopped', undefined, { timeout: 5000 });
    if (Date.now() - clicked > 3000) fail('Stop took more than 3 s');
    await setCode(page, "console.log('alive');");
    await runAndWait(page);
    if ((await outputLines(page)).join() !== 'alive') fail('after Stop, the next run did not print');

    phase('stop');
    // 5. The sandbox: no DOM, storage, cookies or network for the program.
    await page.evaluate(() => {
      document.cookie = 'pg-secret=1; SameSite=Strict';
      localStorage.setItem('pg-secret', 'kept');
    });
    await setCode(page, ESCAPE.trimEnd());
    await runAndWait(page);
    const escaped = JSON.parse((await outputLines(page)).find((l) => l.startsWith('{')) ?? '{}') as Record<string, string>;
    const expected: Record<string, RegExp> = {
      document: /^undefined$/, window: /^undefined$/, localStorage: /^undefined$/, parent: /^undefined$/, origin: /^null$/,
      indexedDB: /^blocked/, caches: /^blocked/, fetch: /^blocked/, importScripts: /^blocked/, eval: /^blocked/, newFunction: /^blocked/,
    };
    for (const [k, re] of Object.entries(expected)) if (!re.test(escaped[k] ?? '')) fail(`sandbox: ${k} gave ${JSON.stringify(escaped[k])}`);
    if ((await page.evaluate(() => localStorage.getItem('pg-secret'))) !== 'kept') fail('sandbox: the page storage changed');

    phase('sandbox');
    // 6. URL round trip: the link shows the code and runs nothing until Run.
    const shared = "console.log('from a link', 6 * 7);";
    await setCode(page, shared);
    await page.waitForTimeout(400);
    const url = page.url();
    const m = /#code=([^&]*)/.exec(url);
    if (m === null || decodeCode(m[1]!) !== shared) fail(`the URL does not hold the code: ${url}`);
    const linked = await open(url.slice(url.indexOf('#')));
    if ((await linked.locator('.cm-content').textContent()) !== shared) fail('the link did not restore the code');
    await linked.waitForTimeout(500);
    if ((await outputLines(linked)).length !== 0) fail('code from a link ran before Run was pressed');
    if (await linked.locator('#notice').isHidden()) fail('no notice that the code came from a link');
    await runAndWait(linked);
    if ((await outputLines(linked)).join() !== 'from a link 42') fail('the linked code did not run on Run');
    await linked.close();

    phase('url');
    // 7. Every guide snippet through its link, compared with Node.
    const scratch = join(root, 'docs', '.playground-check');
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    try {
      const links = collectLinks(site);
      if (links.length < 10) fail(`only ${links.length} "Open in playground" links in the site`);
      let k = 0;
      const snippetPage = await open();
      for (const link of links) {
        const code = decodeCode(link.href.slice(link.href.indexOf('#code=') + 6));
        if (code === null) {
          fail(`${link.snippet}: the link does not decode`);
          continue;
        }
        const expectedLines = await runInNode(code, scratch, k++);
        // Following the link from the guide page it is on (a same-document navigation after the first).
        const target = new URL(link.href, new URL(link.page, base)).href;
        const shows = (c: string): boolean =>
          document.body.dataset['ready'] === 'true' && Array.from(document.querySelectorAll('.cm-line'), (l) => l.textContent).join('\n') === c;
        await snippetPage.goto(target, { waitUntil: 'load' });
        try {
          await snippetPage.waitForFunction(shows, code, { timeout: 20_000 });
        } catch {
          // A same-document navigation the page missed under load: load the link afresh once.
          const seen = await snippetPage.evaluate((want) => ({
            isHashTheLink: location.hash === want,
            editor: Array.from(document.querySelectorAll('.cm-line'), (l) => l.textContent).join('\n').slice(0, 60),
          }), target.slice(target.indexOf('#')));
          console.log(`playground check: ${link.snippet}: the editor did not show the code (URL is the link: ${seen.isHashTheLink}; editor starts ${JSON.stringify(seen.editor)}); loading the link again`);
          await snippetPage.goto('about:blank');
          await snippetPage.goto(target, { waitUntil: 'load' });
          await snippetPage.waitForFunction(shows, code, { timeout: 60_000 });
        }
        if ((await outputLines(snippetPage)).length !== 0) fail(`${link.snippet}: output before Run`);
        await runAndWait(snippetPage, 'click', 120_000);
        const got = await outputLines(snippetPage);
        const worst = numericDifference(got.join('\n'), expectedLines.join('\n'));
        if (worst === null || worst > RUNTIME_TOLERANCE) {
          fail(`${link.snippet}: the playground printed\n${got.join('\n')}\nNode printed\n${expectedLines.join('\n')}`);
        } else if (worst > 0) {
          console.log(`playground check: ${link.snippet} matched Node with numbers ${worst.toExponential(1)} apart relatively (Chromium's and Node's engines round the last bit differently)`);
        }
        figures.snippets++;
      }
      await snippetPage.close();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    phase('snippets');
    await page.close();
  } finally {
    await context.close();
  }
  for (const e of errors) fail(e);
  return figures;
}

/**
 * How far apart (relatively) a number printed in the browser may be from Node's: the library's results
 * agree across runtimes to about 1e-14, not bit for bit (docs/installing.md), and Chromium and Node 20
 * differ in the last bit of some results. Everything else in the output must be the same characters.
 */
const RUNTIME_TOLERANCE = 1e-14;

/**
 * The largest relative difference between the numbers of two printed texts that are otherwise the same
 * characters (0 when the texts are equal), or null when they differ in anything but the digits of numbers.
 */
export function numericDifference(a: string, b: string): number | null {
  if (a === b) return 0;
  const NUM = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;
  if (a.replace(NUM, '#') !== b.replace(NUM, '#')) return null;
  const xs = a.match(NUM) ?? [];
  const ys = b.match(NUM) ?? [];
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = Number(xs[i]);
    const y = Number(ys[i]);
    if (x === y) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
  }
  return worst;
}

/** The "Open in playground" links of the built pages, with the page they are on. */
function collectLinks(site: string): { page: string; href: string; snippet: string }[] {
  const pages = ['index.html', ...readdirSync(join(site, 'documents')).map((f) => `documents/${f}`)];
  return pages.flatMap((page) =>
    [...readFileSync(join(site, page), 'utf8').matchAll(/<p class="tg-open"><a href="([^"]+)" data-snippet="([^"]+)">/g)].map((m) => ({ page, href: m[1]!, snippet: m[2]! })),
  );
}
