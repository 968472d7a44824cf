"""Time, utilization and energy of a training run (notebook 09, sections 3-4).

time = FLOPs / (devices x peak x MFU); the model FLOPs utilization (MFU) a run reached =
FLOPs / (device-seconds x peak); energy = device-hours x board power (a datasheet bound, so
an upper estimate of the chips alone: no host, network or cooling).
"""
from __future__ import annotations

from .._checks import check_int, check_number
from ..devices import Device
from ._base import _positive
from .catalogs import board_power_watts, training_device

__all__ = ["training_time_s", "implied_mfu", "mfu_from_device_hours", "mfu_from_throughput",
           "tokens_per_parameter", "energy_kwh"]


def training_time_s(total_flops: float, peak_flops: float, n_devices: int = 1, mfu: float = 1.0) -> float:
    """Seconds to do ``total_flops`` on ``n_devices`` chips of ``peak_flops`` FLOP/s each at utilization ``mfu``.

    ``total / (n x peak x mfu)``. ``peak_flops`` may be a catalog device (its peak is used). Notebook 09.
    """
    total = _positive("total_flops", total_flops)
    peak = _peak(peak_flops)
    n = check_int("n_devices", n_devices, 1)
    u = check_number("mfu", mfu, 0, 1, exclusive_minimum=True)
    return total / (n * peak * u)


def _peak(device_or_flops) -> float:
    if isinstance(device_or_flops, (str, Device)):
        device = training_device(device_or_flops)
        if device.peak_flops is None:
            raise ValueError(f"device {device.name!r} has no compute peak; pick a chip")
        return device.peak_flops
    return _positive("peak_flops", device_or_flops)


def implied_mfu(total_flops: float, seconds: float, peak_flops, n_devices: int = 1) -> float:
    """The utilization a run reached: ``total / (seconds x n x peak)`` (a fraction of the peak)."""
    total = _positive("total_flops", total_flops)
    s = _positive("seconds", seconds)
    n = check_int("n_devices", n_devices, 1)
    return total / (s * n * _peak(peak_flops))


def mfu_from_device_hours(total_flops: float, device_hours: float, peak_flops) -> float:
    """MFU from reported GPU-hours (or TPU-chip-hours): ``total / (hours x 3600 x peak)``.

    Llama 2's Table 2 gives GPU-hours; with 6ND FLOPs and the A100's 312 TFLOP/s bf16 peak
    this is the share of the peak the run's useful arithmetic reached. Notebook 09.
    """
    hours = _positive("device_hours", device_hours)
    return implied_mfu(total_flops, hours * 3600, peak_flops, 1)


def mfu_from_throughput(tokens_per_s: float, flops_per_token: float, n_devices: int, peak_flops) -> float:
    """MFU from a measured throughput (PaLM's definition, Chowdhery et al. 2022, section 4.1):
    ``tokens/s x model FLOPs per token / (n x peak)``."""
    rate = _positive("tokens_per_s", tokens_per_s)
    per_token = _positive("flops_per_token", flops_per_token)
    n = check_int("n_devices", n_devices, 1)
    return rate * per_token / (n * _peak(peak_flops))


def tokens_per_parameter(tokens: float, params: float) -> float:
    """Training tokens per parameter, D / N (Chinchilla's compute-optimal ratio is ~20: Hoffmann et al. 2022)."""
    return _positive("tokens", tokens) / _positive("params", params)


def energy_kwh(device_hours: float, watts) -> float:
    """Energy of ``device_hours`` at ``watts`` each (a number, or a device in ``board_power``): hours x W / 1000.

    With a datasheet board power this is an upper estimate for the chips alone (no host
    CPUs, network, cooling: a data centre's PUE multiplies it). Notebook 09.
    """
    hours = check_number("device_hours", device_hours, 0)
    if isinstance(watts, (str, Device)):
        watts = board_power_watts(watts)
    return hours * _positive("watts", watts) / 1000


