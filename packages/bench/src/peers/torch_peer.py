"""PyTorch as a peer of the tapegrad benchmarks (W1-W4).

Reads one job as JSON on stdin, runs it, and writes one JSON object on stdout:

  {"kind": "W1" | "W2" | "W3" | "W4", "dtype": "float64" | "float32", "threads": 1,
   "data": {...}, "checkSteps": 5, "timing": {"warmupSteps", "stepsPerRep", "reps", "minRepSeconds"?}}

  -> {"values": [first results, one per check step], "repMs": [...], "stepsPerRep": n,
      "output": [...] (W2 only), "blas": "...", "torch": "1.13.1"}

The programs are the ones the TypeScript engines run (see ../reference-w1.ts, ./micrograd.ts and
./tapegrad.ts): the same data, handed over by the bench, so the losses can be compared before timing.
Timing happens here, around the steps alone, so no inter-process cost is counted against PyTorch.
"""

import json
import re
import sys
import time

import torch


def blas_in_use():
    """The BLAS library this process mapped (PyTorch on Debian uses whatever libblas.so.3 points to)."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            m = re.search(r"(/\S*blas\S*\.so\S*)", line)
            if m:
                libs.add(m.group(1))
    if any("openblas" in lib for lib in libs):
        return "OpenBLAS (" + ", ".join(sorted(lib for lib in libs if "openblas" in lib)) + ")"
    if libs:
        return "reference BLAS (" + ", ".join(sorted(libs)) + "): install libopenblas0-pthread"
    return "no BLAS library mapped"


def tensor(values, dtype, shape=None):
    t = torch.tensor(values, dtype=dtype)
    return t.reshape(shape) if shape is not None else t


def w1(data, dtype):
    batch = len(data["y"])
    x = tensor(data["x"], dtype, (batch, -1))
    y = tensor(data["y"], dtype, (batch, 1))
    lr = data["lr"]
    params = []
    for layer in data["layers"]:
        w = tensor(layer["w"], dtype, (layer["out"], layer["in"])).requires_grad_()
        b = tensor(layer["b"], dtype).requires_grad_()
        params.append((w, b))

    def step():
        h = x
        for w, b in params:
            h = torch.sigmoid(h @ w.T + b)
        loss = -(y * torch.log(h) + (1 - y) * torch.log(1 - h)).mean()
        loss.backward()
        with torch.no_grad():
            for w, b in params:
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad = None
                b.grad = None
        return loss.item()

    return step, None


def w2(data, dtype):
    n = data["n"]
    a = tensor(data["a"], dtype, (n, n))
    b = tensor(data["b"], dtype, (n, n))
    last = [None]

    def step():
        c = a @ b
        last[0] = c
        return c[0, 0].item()

    return step, lambda: last[0].reshape(-1).tolist()


def w3(data, dtype):
    """The micrograd program on 0-d tensors, op for op (as the scalar engines run it)."""
    xs = data["x"]
    ys = data["y"]
    alpha = data["alpha"]
    lr = data["lr"]
    layers = []
    for li, layer in enumerate(data["layers"]):
        neurons = []
        for j in range(layer["out"]):
            w = [torch.tensor(layer["w"][j * layer["in"] + k], dtype=dtype, requires_grad=True) for k in range(layer["in"])]
            b = torch.tensor(layer["b"][j], dtype=dtype, requires_grad=True)
            neurons.append((w, b, li < len(data["layers"]) - 1))
        layers.append(neurons)
    params = [p for layer in layers for (w, b, _) in layer for p in (*w, b)]
    samples = len(ys)

    def step():
        data_loss = None
        for i in range(samples):
            h = [torch.tensor(xs[2 * i], dtype=dtype), torch.tensor(xs[2 * i + 1], dtype=dtype)]
            for layer in layers:
                out = []
                for w, b, is_relu in layer:
                    act = b
                    for k in range(len(w)):
                        act = act + w[k] * h[k]
                    out.append(torch.relu(act) if is_relu else act)
                h = out
            hinge = torch.relu(h[0] * (-ys[i]) + 1)
            data_loss = hinge + 0 if data_loss is None else data_loss + hinge
        reg = None
        for p in params:
            sq = p * p
            reg = sq + 0 if reg is None else reg + sq
        total = data_loss * (1 / samples) + reg * alpha
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total.item()

    return step, None


def w4(data, dtype):
    n, mul, add, x0 = data["n"], data["mul"], data["add"], data["x0"]

    def step():
        x = torch.tensor(x0, dtype=dtype, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * mul + add
        y.backward()
        return x.grad.item()

    return step, None


def main():
    job = json.load(sys.stdin)
    threads = int(job["threads"])
    torch.set_num_threads(threads)
    dtype = torch.float64 if job["dtype"] == "float64" else torch.float32
    step, output = {"W1": w1, "W2": w2, "W3": w3, "W4": w4}[job["kind"]](job["data"], dtype)
    values = [step() for _ in range(job["checkSteps"])]
    out = output() if output is not None else None
    timing = job["timing"]
    for _ in range(timing["warmupSteps"]):
        step()
    steps_per_rep = max(1, timing["stepsPerRep"])
    min_rep = timing.get("minRepSeconds")
    if min_rep is not None:
        while True:
            t0 = time.perf_counter()
            for _ in range(steps_per_rep):
                step()
            if time.perf_counter() - t0 >= min_rep:
                break
            steps_per_rep *= 2
    rep_ms = []
    for _ in range(timing["reps"]):
        t0 = time.perf_counter()
        for _ in range(steps_per_rep):
            step()
        rep_ms.append((time.perf_counter() - t0) * 1000 / steps_per_rep)
    json.dump(
        {
            "values": values,
            "repMs": rep_ms,
            "stepsPerRep": steps_per_rep,
            "output": out,
            "blas": blas_in_use(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
