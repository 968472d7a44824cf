"""How fast is ``analyze``? Fresh processes, imports included, against a PyTorch-based counter.

    python benchmarks/analyze_speed.py [--repeats 3]

1. ``analyze(resnet50())`` in a fresh Python process (import course_lib included) vs each
   PyTorch-based counter (torchinfo, thop, ptflops, fvcore) counting the same network built
   in PyTorch (import torch included), run back to back; prints wall times, peak memory
   (max RSS) and the ratio for each.
   Goals (COURSE.md section 6): at least 10x faster, under 150 MB.
2. ``analyze`` of networks of 1,250 to 10,000 layers, a plain chain and a branching one
   (Inception-like Concat blocks with SE gates and dense connections): time per layer stays
   flat (linear cost) and 10,000 layers take under 1 s; DenseNet-121 under 1 s.
3. ``from_onnx`` of ResNet-50's graph (exported by torch.onnx from its twin), importing onnx
   excluded: under 1 s. Needs ``pip install torch==2.13.0 onnx``.
The peers need ``pip install torch==2.13.0 torchinfo thop ptflops fvcore``; a missing one is
reported as not measured.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

OURS = """
import resource, time, json
t0 = time.perf_counter()
import course_lib as cl
table = cl.analyze(cl.zoo.resnet50())
assert table["params"].sum() == 25_557_032
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# Each peer builds the same ResNet-50 in PyTorch (course_lib.torch_bridge: no torchvision here)
# and counts it the way its documentation shows; imports included, as for course_lib.
_PEER_HEAD = """
import resource, time, json
t0 = time.perf_counter()
import torch
import course_lib as cl
from course_lib.torch_bridge import to_torch
model = to_torch(cl.zoo.resnet50())
x = torch.zeros(1, 3, 224, 224)
"""
_PEER_TAIL = """
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
PEERS = {
    "torchinfo": ("torchinfo", "import torchinfo\n"
                  "assert torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0).total_params == 25_557_032"),
    "thop": ("thop", "import thop\nmacs, params = thop.profile(model, inputs=(x,), verbose=False)\n"
             "assert params == 25_557_032"),
    "ptflops": ("ptflops", "import ptflops\nmacs, params = ptflops.get_model_complexity_info(model, (3, 224, 224), "
                "as_strings=False, print_per_layer_stat=False, verbose=False)\nassert params == 25_557_032"),
    "fvcore": ("fvcore", "from fvcore.nn import FlopCountAnalysis\nimport logging\nlogging.disable(logging.WARNING)\n"
               "assert FlopCountAnalysis(model, x).total() > 4e9"),
}


def run_fresh(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def available(module: str) -> bool:
    return subprocess.run([sys.executable, "-c", f"import torch, {module}"], capture_output=True).returncode == 0


def compare_with_peers(repeats: int) -> None:
    print("1. analyze(resnet50()) in a fresh process, imports included (best of %d)" % repeats)
    ours = [run_fresh(OURS) for _ in range(repeats)]
    best_ours = min(r["seconds"] for r in ours)
    rss_ours = max(r["max_rss_mb"] for r in ours)
    print(f"   {'course_lib':10s}: {best_ours:6.3f} s, peak {rss_ours:4.0f} MB"
          f"   [goal < 150 MB: {'met' if rss_ours < 150 else 'NOT met'}]")
    for name, (module, count) in PEERS.items():
        if not available(module):
            print(f"   {name:10s}: not installed (pip install torch==2.13.0 {name}); not measured")
            continue
        peer = [run_fresh(_PEER_HEAD + count + _PEER_TAIL) for _ in range(repeats)]
        best = min(r["seconds"] for r in peer)
        rss = max(r["max_rss_mb"] for r in peer)
        ratio = best / best_ours
        print(f"   {name:10s}: {best:6.3f} s, peak {rss:4.0f} MB   course_lib is {ratio:4.1f}x faster"
              f"   [goal >= 10x: {'met' if ratio >= 10 else 'NOT met'}]")


def deep_network(n_layers: int):
    import course_lib as cl
    layers = [cl.Conv2d(16, 3, padding=1) if i % 2 == 0 else cl.ReLU() for i in range(n_layers)]
    return cl.Network(f"deep{n_layers}", (16, 32, 32), layers)


def branching_network(n_layers: int):
    """Blocks of 20 rows each: a 3-branch Concat, an SE Gate and a dense connection (keep_input)."""
    import course_lib as cl
    blocks = []
    for _ in range(n_layers // 20):
        blocks += [
            cl.Concat(((cl.Conv2d(8, 1), cl.ReLU()),
                       (cl.Conv2d(4, 1), cl.ReLU(), cl.Conv2d(4, 3, padding=1), cl.ReLU()),
                       (cl.MaxPool2d(3, 1, padding=1), cl.Conv2d(4, 1), cl.ReLU()))),        # 10 rows
            cl.Gate((cl.AdaptiveAvgPool2d(1), cl.Conv2d(4, 1), cl.ReLU(), cl.Conv2d(16, 1))),  # 5 rows
            cl.Concat(((cl.Conv2d(8, 1), cl.ReLU()),), keep_input=True),                     # 3 rows
            cl.Conv2d(16, 1), cl.ReLU(),                                                      # 2 rows
        ]
    return cl.Network(f"branching{n_layers}", (16, 32, 32), blocks)


def scaling() -> None:
    import course_lib as cl
    cases = [("chain", deep_network), ("branching", branching_network)]
    if hasattr(cl.zoo, "densenet121"):
        cases.append(("DenseNet-121", None))
    print("2. analyze() of deep networks, best of 3")
    for label, make in cases:
        for n in ((1_250, 2_500, 5_000, 10_000) if make else (None,)):
            network = make(n) if make else cl.zoo.densenet121()
            rows = len(cl.analyze(network))
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                cl.analyze(network)
                times.append(time.perf_counter() - t0)
            best = min(times)
            note = f"   [goal < 1 s: {'met' if best < 1 else 'NOT met'}]" if n in (10_000, None) else ""
            print(f"   {label:12s} {rows:6,d} rows: {best:6.3f} s, {best / rows * 1e6:5.1f} us per row{note}")


def onnx_import() -> None:
    print("3. from_onnx(ResNet-50 graph), onnx already imported, best of 3")
    try:
        import io
        import warnings
        import onnx
        import torch
    except ImportError:
        print("   torch or onnx not installed (pip install torch==2.13.0 onnx); not measured")
        return
    import course_lib as cl
    from course_lib.torch_bridge import to_torch
    network = cl.zoo.resnet50()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(to_torch(network), torch.zeros(1, 3, 224, 224), buffer, dynamo=False, opset_version=17,
                          do_constant_folding=False)
    data = buffer.getvalue()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        imported = cl.from_onnx(onnx.load_from_string(data))
        times.append(time.perf_counter() - t0)
    assert cl.analyze(imported)["params"].sum() == 25_557_032
    best = min(times)
    print(f"   {len(data) / 1e6:5.1f} MB graph: {best:6.3f} s (parse + import)   [goal < 1 s: {'met' if best < 1 else 'NOT met'}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scaling-only", action="store_true", help="skip the comparison with the PyTorch tools")
    args = parser.parse_args()
    if not args.scaling_only:
        compare_with_peers(args.repeats)
    scaling()
    onnx_import()


if __name__ == "__main__":
    main()
