"""Data parallelism between chips: the ring all-reduce and one step's compute vs communication (notebook 09, section 6).

Data parallelism adds every device's gradients after each step: a ring all-reduce sends
``2 (n - 1) / n`` x the gradient bytes from each device (Patarasuk & Yuan 2009, "Bandwidth
optimal all-reduce algorithms for clusters of workstations").
"""
from __future__ import annotations

import numbers

from .._checks import check_int, check_number
from ._base import _positive
from .catalogs import get_interconnect
from .schedule import _peak

__all__ = ["ring_allreduce_bytes", "allreduce_time_s", "data_parallel_step"]


def ring_allreduce_bytes(gradient_bytes: float, n_devices: int) -> float:
    """Bytes each device sends (and receives) in a ring all-reduce: ``2 (n - 1) / n x gradient bytes``.

    A reduce-scatter (n - 1 steps of 1/n of the data) then an all-gather (n - 1 more): each
    device moves almost twice its gradients, whatever n. One device: 0. Notebook 09.
    """
    g = check_number("gradient_bytes", gradient_bytes, 0)
    n = check_int("n_devices", n_devices, 1)
    return 2 * (n - 1) / n * g


def _link_bandwidth(link) -> float:
    if isinstance(link, numbers.Real) and not isinstance(link, bool):
        return _positive("link", link)
    return get_interconnect(link)


def allreduce_time_s(gradient_bytes: float, n_devices: int, link) -> float:
    """Seconds of a ring all-reduce: ``ring_allreduce_bytes / link bandwidth`` (bytes/s each way).

    ``link`` is a name from ``interconnects()`` or bytes/s. The datasheet bound: latency and
    protocol overhead, which real libraries (NCCL) pay, are left out.
    """
    return ring_allreduce_bytes(gradient_bytes, n_devices) / _link_bandwidth(link)


def data_parallel_step(flops_per_example: float, batch_per_device: int, params: float, n_devices: int,
                       device, link, mfu: float = 0.5, gradient_bytes_per_param: float = 2) -> dict:
    """One data-parallel training step: compute time vs all-reduce time, and which bounds the step.

    compute = ``flops_per_example x batch_per_device / (peak x mfu)``; communication =
    ``allreduce_time_s(params x gradient_bytes_per_param, n_devices, link)``. ``overlapped_s``
    is the step if communication hides behind compute (the larger of the two), ``serial_s``
    if it does not (their sum). Notebook 09.
    """
    flops = _positive("flops_per_example", flops_per_example) * check_int("batch_per_device", batch_per_device, 1)
    peak = _peak(device)
    u = check_number("mfu", mfu, 0, 1, exclusive_minimum=True)
    grad = _positive("params", params) * _positive("gradient_bytes_per_param", gradient_bytes_per_param)
    compute = flops / (peak * u)
    sent = ring_allreduce_bytes(grad, n_devices)
    comm = sent / _link_bandwidth(link)
    return {"compute_s": compute, "communication_s": comm, "gradient_bytes": grad, "bytes_sent": sent,
            "bound": "communication" if comm > compute else "compute",
            "overlapped_s": max(compute, comm), "serial_s": compute + comm,
            "comm_over_compute": comm / compute}


