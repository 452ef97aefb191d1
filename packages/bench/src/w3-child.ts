/**
 * Runs one implementation's W3 in this process and prints its row as JSON: the runner starts one such
 * process per W3 row, so that no engine is timed in a heap shaped by the engines timed before it.
 *
 *     node [the runner's flags] w3-child.ts '{"name":"tapegrad Value","isQuick":false,"want":[…]}'
 */
import { loadConfig } from './config.js';
import { makeW3Data } from './harness.js';
import { IMPLEMENTATIONS } from './registry.js';
import { measureW3Row } from './run.js';

const arg = process.argv[2];
if (arg === undefined) throw new Error('w3-child: expected a JSON argument');
const { name, isQuick, want } = JSON.parse(arg) as { name: string; isQuick: boolean; want: number[] };
const impl = IMPLEMENTATIONS.find((i) => i.name === name && i.w3 !== undefined);
if (impl === undefined) throw new Error(`w3-child: no W3 implementation named '${name}'`);
const config = loadConfig();
const row = await measureW3Row(impl, makeW3Data(config), config, isQuick, want);
process.stdout.write(`${JSON.stringify(row)}\n`);
