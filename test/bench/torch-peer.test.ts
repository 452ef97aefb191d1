import { findTorch, loadConfig, makeW1Data, referenceW1Losses, resetTorchProbe, torchW1 } from '@tapegrad/bench';
import { afterEach, describe, expect, test } from 'vitest';

const config = loadConfig();
const timing = { warmupSteps: 0, stepsPerRep: 1, reps: 1 };

afterEach(() => {
  delete process.env.TAPEGRAD_PYTHON;
  resetTorchProbe();
});

describe('PyTorch peer', () => {
  test('without an interpreter that can import torch, the row says "skipped: no PyTorch"', () => {
    process.env.TAPEGRAD_PYTHON = '/nonexistent/python3';
    resetTorchProbe();
    expect(findTorch()).toBeNull();
    const w = torchW1('float64', 1, makeW1Data(config, 'small', config.W1.small), 2);
    expect(() => w.setup(timing)).toThrow(/skipped: no PyTorch/);
  });

  // Runs where Debian's python3-torch is installed (the bench's optional peer); elsewhere the test above
  // covers what the bench prints.
  test.runIf(findTorch() !== null)('W1 small in float64: the same losses as the float64 reference, and a timing', () => {
    const data = makeW1Data(config, 'small', config.W1.small);
    const want = referenceW1Losses(data, 3);
    const w = torchW1('float64', 1, data, 3);
    w.setup(timing);
    for (const l of want) expect(Math.abs(w.step() - l) / l).toBeLessThan(1e-12);
    const t = w.selfTimed!();
    expect(t.repMs).toHaveLength(1);
    expect(t.medianMs).toBeGreaterThan(0);
  }, 60_000);
});
