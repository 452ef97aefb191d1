// Entry of the consumer program on Node, Bun and Deno: prints the result as one JSON line.
import { runConsumer } from './program.mjs';

const result = await runConsumer();
console.log(JSON.stringify(result));
