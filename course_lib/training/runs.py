"""Whole training runs: a model by name, its days, device-hours and energy on n devices (notebook 09's widget)."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .._checks import check_choice, check_int
from ..analysis import analyze
from ..devices import Device
from ..transformer import get_transformer, transformer_param_count
from ._base import DAY_S, _positive
from .catalogs import training_device
from .flops import training_flops_per_example
from .parallel import data_parallel_step
from .published import GPT3_175B, LLAMA2_13B, LLAMA2_70B
from .schedule import energy_kwh

__all__ = ["TRAINING_MODELS", "training_model", "training_run", "scaling_table"]

# The models notebook 09's widget offers: the zoo CNNs (per image) and transformers (per token).
TRAINING_MODELS = ("alexnet_original", "alexnet", "vgg16", "resnet18", "resnet50", "mobilenet_v2",
                   "GPT-2 small", "Llama-2-7B", "Llama-2-13B", "Llama-2-70B", "GPT-3 175B")
_EXTRA_TRANSFORMERS = {c.name: c for c in (GPT3_175B, LLAMA2_13B, LLAMA2_70B)}


@lru_cache(maxsize=32)
def training_model(name: str) -> dict:
    """Training FLOPs per example and parameters of a model by name (``TRAINING_MODELS``).

    A zoo CNN: 3 x its forward FLOPs per image. A transformer: 6 x its parameters per
    token (Kaplan's rule, attention left out). ``batch_per_device`` is a realistic default for
    the widget: 64 images (AlexNet's batch of 128 over its two GPUs, Krizhevsky et al. 2012,
    section 5) or one sequence of the model's context in tokens.
    """
    from .. import zoo

    check_choice("model", name, TRAINING_MODELS)
    if name in zoo.MODELS:
        network = zoo.MODELS[name]()
        return {"model": name, "flops_per_example": training_flops_per_example(network)["rule_flops"],
                "params": int(analyze(network)["params"].sum()), "example": "image",
                "batch_per_device": 64}
    config = _EXTRA_TRANSFORMERS.get(name) or get_transformer(name)
    params = transformer_param_count(config)
    return {"model": name, "flops_per_example": 6 * params, "params": params, "example": "token",
            "batch_per_device": config.max_context}


def training_run(flops_per_example: float, examples: float, params: float, device, n_devices: int = 1,
                 mfu: float = 0.4, link="NVLink 4 (H100)", batch_per_device: int = 1,
                 gradient_bytes_per_param: float = 2) -> dict:
    """A whole data-parallel run: total FLOPs, steps, days, device-hours and energy (notebook 09's widget).

    ``examples`` images (or tokens) seen in all, ``batch_per_device`` per step on each of
    ``n_devices``. Each step takes ``data_parallel_step``'s time; the headline ``days``,
    ``device_hours`` and ``kwh`` assume the all-reduce fully overlaps the compute, so a step
    is the longer of the two (``step_overlapped_s``); ``days_serial`` assumes no overlap (their
    sum); ``days_compute`` is compute alone (the step if communication were free). Energy at
    the device's board power, for every device-hour of the run (``kwh``; None when the
    catalog has no power for it).
    """
    total_examples = _positive("examples", examples)
    n = check_int("n_devices", n_devices, 1)
    batch = check_int("batch_per_device", batch_per_device, 1)
    if total_examples < n * batch:
        raise ValueError(f"examples={total_examples:,.0f} is less than one step of {n} devices x {batch} "
                         f"examples; raise examples or lower the batch")
    step = data_parallel_step(flops_per_example, batch, params, n, device, link, mfu, gradient_bytes_per_param)
    steps = total_examples / (n * batch)
    seconds = steps * step["overlapped_s"]
    seconds_serial = steps * step["serial_s"]
    seconds_compute = steps * step["compute_s"]
    device_hours = seconds * n / 3600
    kwh = None   # a peak given as a number has no board power
    if isinstance(device, (str, Device)):
        try:
            kwh = energy_kwh(device_hours, device)
        except ValueError:
            kwh = None
    return {"total_flops": flops_per_example * total_examples, "steps": steps, "seconds": seconds,
            "days": seconds / DAY_S, "days_serial": seconds_serial / DAY_S,
            "days_compute": seconds_compute / DAY_S, "device_hours": device_hours,
            "kwh": kwh, **{f"step_{k}": v for k, v in step.items()}}

def scaling_table(flops_per_example: float, examples: float, params: float, device, device_counts=(1, 8, 64, 512),
                  mfu: float = 0.4, link="NVLink 4 (H100)", batch_per_device: int = 1,
                  gradient_bytes_per_param: float = 2) -> pd.DataFrame:
    """``training_run`` for each number of devices (one row each): days with the all-reduce overlapped
    (``days``) and not overlapped (``days_serial``), the bound, device-hours."""
    rows = []
    for n in device_counts:
        run = training_run(flops_per_example, examples, params, device, n, mfu, link, batch_per_device,
                           gradient_bytes_per_param)
        rows.append({"n_devices": n, "days": run["days"], "days_serial": run["days_serial"],
                     "bound": run["step_bound"], "device_hours": run["device_hours"]})
    table = pd.DataFrame(rows)
    table.attrs.update(device=training_device(device).name, link=link, mfu=mfu, batch_per_device=batch_per_device)
    return table


