"""Run the real counting tools (thop, fvcore, torchinfo, ptflops) on a course network's PyTorch twin.

Each function returns the total the tool itself prints, with the call its README shows.
Used by tests/test_counting.py (live comparisons, where the tools are installed) and as a
script that prints the figures stored in that test:

    python tests/real_tools.py [model ...]
"""
from __future__ import annotations

import contextlib
import io
import logging
import sys
import warnings


def _input(network, device="cpu"):
    import torch
    return torch.zeros(1, *network.input_shape, device=device)


def _twin(network):
    from course_lib.torch_bridge import to_torch
    return to_torch(network)


def thop_total(network) -> int:
    import thop
    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = thop.profile(_twin(network), inputs=(_input(network),), verbose=False)
    return int(macs)


def fvcore_total(network) -> int:
    from fvcore.nn import FlopCountAnalysis
    logging.disable(logging.WARNING)
    try:
        analysis = FlopCountAnalysis(_twin(network), _input(network))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return int(analysis.total())
    finally:
        logging.disable(logging.NOTSET)


def torchinfo_total(network) -> int:
    import torchinfo
    summary = torchinfo.summary(_twin(network), input_size=(1, *network.input_shape), verbose=0)
    return int(summary.total_mult_adds)


def ptflops_total(network) -> int:
    import ptflops
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs, _ = ptflops.get_model_complexity_info(_twin(network), tuple(network.input_shape), as_strings=False,
                                                    print_per_layer_stat=False, verbose=False)
    return int(macs)


TOOLS = {"thop": thop_total, "fvcore": fvcore_total, "torchinfo": torchinfo_total, "ptflops": ptflops_total}


def versions() -> dict:
    from importlib.metadata import version
    packages = {"thop": "thop", "fvcore": "fvcore", "torchinfo": "torchinfo", "ptflops": "ptflops", "torch": "torch"}
    return {tool: version(package) for tool, package in packages.items()}


def main(models) -> None:
    import course_lib as cl
    print(versions())
    for model in models or list(cl.zoo.MODELS):
        network = cl.zoo.MODELS[model]()
        row = {tool: run(network) for tool, run in TOOLS.items()}
        ours = {tool: cl.tool_total(network, tool) for tool in TOOLS}
        print(model, row, "ours:", ours, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
