"""DRAM traffic of a conv stack, layer by layer vs fused and tiled for an on-chip buffer; TPU v1's batch (notebook 07).

**Layer by layer** (the baseline, as ``course_lib.roofline`` counts it): every conv or
pool layer reads its input map and its weights from DRAM once and writes its output
map once. Element-wise layers (ReLU, BatchNorm, Dropout) are applied on the fly as a
layer writes its output, so they move nothing of their own.

**Fused and tiled** (the scheme of Alwani, Chen, Ferdman & Milder, "Fused-layer CNN accelerators",
MICRO 2016, with the halo recomputed; notebook 07 contrasts it with the DATE 2018 design of Cheng Jian's
talk, which removes the halo by changing the network): consecutive layers run as one group,
one square tile of the *last* layer's output at a time; the intermediate maps never leave
the chip. The simple model:

- a tile of ``t x t`` output pixels needs a larger region of each earlier map: going
  back through a layer with kernel ``k``, stride ``s``, padding ``p``, output rows
  ``[a, b)`` need input rows ``[a*s - p, (b-1)*s - p + k)``, clipped to the map (a tile at the image border
  reads no halo on its outer side: that side is padding). The
  extra border is the *halo*: it grows with the fused depth, neighbouring tiles read it
  twice from DRAM and compute it twice (``halo_bytes``, ``extra_macs``);
- on chip, a layer holds its input tile and its output tile at once (earlier tiles are
  freed): the buffer a tile needs is the largest such pair, in bytes;
- the weights of the group stay on chip if they fit beside the tiles (read once);
  otherwise they stream in again for every tile (with a single tile, once either way);
- DRAM traffic = the input tiles (halos included) + the output once + the weights;
- the best plan is the tile size, with weights on chip or streamed, that moves the
  fewest bytes; when not even a 1x1 tile fits, the plan does not fit (traffic NaN).

One image (batch 1), dilation counted in the kernel's span, no double buffering.
Residual blocks end the stack (their shortcut would need its own buffer).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import check_int, check_number
from .analysis import Network, layer_costs
from .devices import _compute_device, ridge_point
from .energy import dram_energy_per_byte, mac_energy
from .layers import AvgPool2d, Conv2d, MaxPool2d

__all__ = ["StackLayer", "FusionPlan", "conv_stack", "stack_table", "input_tile_side", "layerwise_traffic",
           "fused_traffic", "traffic_curve", "fusion_comparison", "systolic_peak", "fc_weight_intensity", "batch_for_peak",
           "fc_batch_table"]

_FUSABLE = (Conv2d, MaxPool2d, AvgPool2d)
_ELEMENTWISE = {"ReLU", "ReLU6", "BatchNorm2d", "Dropout"}


@dataclass(frozen=True)
class StackLayer:
    """One conv or pool layer of a stack, with what tiling needs to know about it."""
    name: str
    kind: str
    in_shape: tuple   # (C, H, W)
    out_shape: tuple  # (C, H, W)
    kernel: tuple     # span of the window in input pixels, (h, w): dilation*(k-1) + 1
    stride: tuple     # (h, w)
    padding: tuple    # (h, w)
    params: int       # weights + biases (plus those of a BatchNorm folded into it)
    macs: int         # multiply-accumulates for one image


def conv_stack(network: Network) -> list[StackLayer]:
    """The leading conv/pool layers of ``network``, up to its first Flatten, Linear, adaptive pool or Residual.

    ReLU/BatchNorm/Dropout between them are folded into the layer before (a BatchNorm's
    parameters count with it).
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    rows = layer_costs(network)
    stack = []
    for layer, (name, kind, block, in_shape, cost) in zip(network.layers, rows):
        if block:  # a Residual block starts
            break
        if isinstance(layer, _FUSABLE):
            dilation = getattr(layer, "dilation", (1, 1))
            span = tuple(d * (k - 1) + 1 for k, d in zip(layer.kernel_size, dilation))
            stack.append(StackLayer(name, kind, tuple(in_shape), tuple(cost.out_shape), span,
                                    tuple(layer.stride), tuple(layer.padding), cost.params, cost.macs))
        elif kind in _ELEMENTWISE and stack:
            last = stack[-1]
            stack[-1] = StackLayer(**{**last.__dict__, "params": last.params + cost.params})
        elif kind not in _ELEMENTWISE:
            break
    if not stack:
        raise ValueError(f"network {network.name!r} does not start with a conv or pool layer")
    return stack


def stack_table(network: Network, bytes_per_element: float = 4) -> pd.DataFrame:
    """The conv stack as a table: ``name``, ``kind``, ``out_shape``, ``kernel``, ``stride``, ``map_bytes``, ``weight_bytes``, ``macs``."""
    bpe = _bpe(bytes_per_element)
    rows = [(s.name, s.kind, s.out_shape, s.kernel[0], s.stride[0], math.prod(s.out_shape) * bpe, s.params * bpe, s.macs)
            for s in conv_stack(network)]
    return pd.DataFrame(rows, columns=["name", "kind", "out_shape", "kernel", "stride", "map_bytes", "weight_bytes", "macs"])


def input_tile_side(out_tile: int, layers) -> int:
    """Input pixels (one axis) that ``out_tile`` output pixels need through ``layers``, a list of ``(kernel, stride)``.

    Walking back from the last layer: ``t_in = (t_out - 1) * stride + kernel`` (no
    padding, no clipping: an interior tile). Three 3x3 stride-1 convs: ``t + 6``.
    """
    side = check_int("out_tile", out_tile, 1)
    for i, pair in enumerate(reversed(list(layers))):
        kernel, stride = pair
        kernel = check_int(f"kernel of layer {i} from the end", kernel, 1)
        stride = check_int(f"stride of layer {i} from the end", stride, 1)
        side = (side - 1) * stride + kernel
    return side


def _bpe(bytes_per_element):
    return check_number("bytes_per_element", bytes_per_element, 0, exclusive_minimum=True)


def _select(network, layers) -> list[StackLayer]:
    """``layers``: None (the whole stack), an int n (its first n layers) or a list of consecutive names."""
    stack = conv_stack(network)
    if layers is None:
        return stack
    if isinstance(layers, (list, tuple)):
        names = [s.name for s in stack]
        missing = [n for n in layers if n not in names]
        if missing or not layers:
            raise ValueError(f"layers must name consecutive layers of the conv stack ({', '.join(names)}); got {layers!r}")
        first = names.index(layers[0])
        if names[first:first + len(layers)] != list(layers):
            raise ValueError(f"layers must be consecutive in the conv stack ({', '.join(names)}); got {layers!r}")
        return stack[first:first + len(layers)]
    n = check_int("layers", layers, 1, len(stack))
    return stack[:n]


def layerwise_traffic(network: Network, layers=None, bytes_per_element: float = 4) -> pd.DataFrame:
    """DRAM bytes of each conv/pool layer run one at a time: ``input_bytes``, ``weight_bytes``, ``output_bytes``, ``total_bytes``."""
    bpe = _bpe(bytes_per_element)
    rows = [(s.name, s.kind, math.prod(s.in_shape) * bpe, s.params * bpe, math.prod(s.out_shape) * bpe, s.macs)
            for s in _select(network, layers)]
    table = pd.DataFrame(rows, columns=["name", "kind", "input_bytes", "weight_bytes", "output_bytes", "macs"])
    table["total_bytes"] = table["input_bytes"] + table["weight_bytes"] + table["output_bytes"]
    return table


def _axis_extents(stack, axis, tile):
    """For each tile along ``axis`` of the last output: the extent of its region in every map (level 0 = input)."""
    size = stack[-1].out_shape[1 + axis]
    extents = []  # one list per tile: extent at level 0..n
    for lo in range(0, size, tile):
        a, b = lo, min(lo + tile, size)
        levels = [b - a]
        for s in reversed(stack):
            k, st, p, size_in = s.kernel[axis], s.stride[axis], s.padding[axis], s.in_shape[1 + axis]
            a, b = max(a * st - p, 0), min((b - 1) * st - p + k, size_in)
            levels.append(b - a)
        extents.append(levels[::-1])
    return np.array(extents)  # (tiles, levels)


def _tile_stats(stack, tile, bpe):
    """Footprint, traffic parts and MACs of one tile size (independent of the buffer)."""
    rows, cols = _axis_extents(stack, 0, tile), _axis_extents(stack, 1, tile)
    channels = [stack[0].in_shape[0]] + [s.out_shape[0] for s in stack]
    sum_r, sum_c = rows.sum(axis=0), cols.sum(axis=0)
    max_r, max_c = rows.max(axis=0), cols.max(axis=0)
    tile_bytes = [c * r * w * bpe for c, r, w in zip(channels, max_r, max_c)]
    footprint = max(tile_bytes[i] + tile_bytes[i + 1] for i in range(len(stack)))
    macs = sum(s.macs // (s.out_shape[1] * s.out_shape[2]) * int(sum_r[i + 1]) * int(sum_c[i + 1])
               for i, s in enumerate(stack))
    return {"tile": tile, "tiles": len(rows) * len(cols), "footprint": footprint,
            "input_read": channels[0] * int(sum_r[0]) * int(sum_c[0]) * bpe, "macs": macs}


@dataclass(frozen=True)
class FusionPlan:
    """The DRAM traffic of a fused group of layers for one on-chip buffer size (bytes; one image)."""
    layers: tuple             # names of the fused layers
    buffer_bytes: float       # the on-chip buffer
    fits: bool                # does some tile fit?
    tile: int                 # side of the output tile in pixels (0: nothing fits)
    tiles: int                # number of tiles
    weights_on_chip: bool     # weights read once and kept, or streamed again per tile
    buffer_needed: float      # bytes the chosen plan holds on chip (tiles + resident weights)
    input_bytes: float        # input tiles read from DRAM, halos included
    halo_bytes: float         # the part of input_bytes that re-reads borders of neighbouring tiles
    output_bytes: float       # the last map, written once
    weight_bytes: float       # weights read from DRAM
    macs: int                 # MACs actually done, recomputed halos included
    extra_macs: int           # MACs spent recomputing halos

    @property
    def total_bytes(self) -> float:
        return self.input_bytes + self.output_bytes + self.weight_bytes

    def parts(self) -> dict:
        """DRAM traffic as named parts (bytes); ``total`` is their sum."""
        parts = {"input": self.input_bytes, "output": self.output_bytes, "weights": self.weight_bytes}
        parts["total"] = sum(parts.values())
        return parts

    def __str__(self):
        if not self.fits:
            return f"fusing {', '.join(self.layers)}: no tile fits in {self.buffer_bytes:,.0f} bytes"
        where = ("kept on chip" if self.weights_on_chip
                 else "streamed (one tile, so read once)" if self.tiles == 1 else "streamed per tile")
        return (f"fusing {', '.join(self.layers)} in {self.buffer_bytes:,.0f} bytes: {self.tiles:,} tile{'s' if self.tiles > 1 else ''} of "
                f"{self.tile}x{self.tile} output pixels, weights {where}; DRAM traffic {self.total_bytes:,.0f} bytes "
                f"(input {self.input_bytes:,.0f} incl. halo {self.halo_bytes:,.0f}, output {self.output_bytes:,.0f}, "
                f"weights {self.weight_bytes:,.0f}); {self.extra_macs:,} MACs recomputed")

    def _repr_markdown_(self):
        return str(self)


def _plans(stack, bpe):
    sides = max(stack[-1].out_shape[1], stack[-1].out_shape[2])
    return [_tile_stats(stack, t, bpe) for t in range(1, sides + 1)]


def _best(stack, stats, buffer_bytes, bpe) -> FusionPlan:
    names = tuple(s.name for s in stack)
    weights = sum(s.params for s in stack) * bpe
    input_map = math.prod(stack[0].in_shape) * bpe
    output = math.prod(stack[-1].out_shape) * bpe
    exact_macs = sum(s.macs for s in stack)
    best = None
    for st in stats:
        for on_chip in (True, False):
            needed = st["footprint"] + (weights if on_chip else 0)
            if needed > buffer_bytes:
                continue
            traffic = st["input_read"] + output + weights * (1 if on_chip else st["tiles"])
            if best is None or traffic < best[0]:
                best = (traffic, st, on_chip, needed)
    if best is None:
        nan = float("nan")
        return FusionPlan(names, buffer_bytes, False, 0, 0, False, nan, nan, nan, nan, nan, 0, 0)
    _, st, on_chip, needed = best
    return FusionPlan(names, buffer_bytes, True, st["tile"], st["tiles"], on_chip, needed, st["input_read"],
                      st["input_read"] - input_map, output, weights * (1 if on_chip else st["tiles"]),
                      st["macs"], st["macs"] - exact_macs)


def fused_traffic(network: Network, buffer_bytes: float, layers=None, bytes_per_element: float = 4) -> FusionPlan:
    """The best fused, tiled plan for ``layers`` of the conv stack in an on-chip buffer of ``buffer_bytes``.

    ``layers``: None (the whole conv stack), an int n (its first n layers), or a list of
    consecutive layer names. The model is in the module docstring.
    """
    buffer_bytes = check_number("buffer_bytes", buffer_bytes, 0, exclusive_minimum=True)
    bpe = _bpe(bytes_per_element)
    stack = _select(network, layers)
    return _best(stack, _plans(stack, bpe), buffer_bytes, bpe)


def traffic_curve(network: Network, buffer_sizes, layers=None, bytes_per_element: float = 4) -> pd.DataFrame:
    """DRAM traffic vs on-chip buffer size: one row per buffer (bytes), layer by layer and fused.

    Columns: ``buffer_bytes``, ``layerwise_bytes`` (does not depend on the buffer),
    ``fused_bytes`` (NaN where no tile fits), ``fits``, ``tile``, ``weights_on_chip``,
    ``halo_bytes``, ``extra_macs``.
    """
    bpe = _bpe(bytes_per_element)
    sizes = [check_number("buffer_sizes", b, 0, exclusive_minimum=True) for b in np.atleast_1d(buffer_sizes).tolist()]
    stack = _select(network, layers)
    stats = _plans(stack, bpe)
    layerwise = float(layerwise_traffic(network, [s.name for s in stack], bpe)["total_bytes"].sum())
    rows = []
    for size in sizes:
        plan = _best(stack, stats, size, bpe)
        rows.append((size, layerwise, plan.total_bytes, plan.fits, plan.tile, plan.weights_on_chip,
                     plan.halo_bytes, plan.extra_macs))
    table = pd.DataFrame(rows, columns=["buffer_bytes", "layerwise_bytes", "fused_bytes", "fits", "tile",
                                        "weights_on_chip", "halo_bytes", "extra_macs"])
    table.attrs.update(network=network.name, layers=[s.name for s in stack], bytes_per_element=bpe,
                       weight_bytes=sum(s.params for s in stack) * bpe)
    return table


_DTYPE_BYTES = {"fp32": 4, "fp16": 2, "int8": 1}  # IEEE binary32 / binary16, 8-bit integers


def fusion_comparison(network: Network, buffer_bytes: float, layers=None, dtype: str = "fp32") -> pd.DataFrame:
    """Layer by layer vs fused, side by side: DRAM traffic by part (bytes) and energy (joules, ``course_lib.energy``).

    Rows ``"layer by layer"`` and ``"fused"``; columns ``input``, ``intermediate maps``
    (written and read back between layers: what fusion removes), ``weights``,
    ``output``, ``total_bytes``, ``macs`` (halo recomputation included), ``compute_J``,
    ``dram_J``, ``total_J``. The fused row is NaN where no tile fits.
    """
    if not isinstance(dtype, str) or dtype not in _DTYPE_BYTES:
        raise ValueError(f"dtype must be one of {', '.join(map(repr, _DTYPE_BYTES))}; got {dtype!r}")
    bpe = _DTYPE_BYTES[dtype]
    plan = fused_traffic(network, buffer_bytes, layers, bpe)
    by_layer = layerwise_traffic(network, list(plan.layers), bpe)
    first_in, last_out = by_layer["input_bytes"].iloc[0], by_layer["output_bytes"].iloc[-1]
    weights = by_layer["weight_bytes"].sum()
    total = by_layer["total_bytes"].sum()
    rows = [("layer by layer", first_in, total - first_in - last_out - weights, weights, last_out, total,
             by_layer["macs"].sum()),
            ("fused", plan.input_bytes, 0.0 if plan.fits else float("nan"), plan.weight_bytes, plan.output_bytes,
             plan.total_bytes, plan.macs if plan.fits else float("nan"))]
    table = pd.DataFrame(rows, columns=["schedule", "input", "intermediate maps", "weights", "output",
                                        "total_bytes", "macs"]).set_index("schedule")
    table["compute_J"] = table["macs"] * mac_energy(dtype) * 1e-12
    table["dram_J"] = table["total_bytes"] * dram_energy_per_byte() * 1e-12
    table["total_J"] = table["compute_J"] + table["dram_J"]
    table.attrs.update(plan=plan, dtype=dtype, bytes_per_element=bpe)
    return table


# --- TPU v1: a weight-stationary systolic array (Jouppi et al., ISCA 2017) -------------------------

def systolic_peak(rows: int, cols: int, clock_hz: float) -> float:
    """Peak ops/s of a ``rows x cols`` MAC array: ``2 x rows x cols x clock`` (a MAC is a multiply and an add).

    TPU v1: 256 x 256 = 65,536 int8 MACs at 700 MHz -> 91.75e12, the paper's "92 TOPS".
    """
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    clock_hz = check_number("clock_hz", clock_hz, 0, exclusive_minimum=True)
    return 2 * rows * cols * clock_hz


def fc_weight_intensity(batch_size: int, bytes_per_weight: float = 1) -> float:
    """Ops per byte of weight memory of an FC layer run on ``batch_size`` inputs: ``2 x batch / bytes_per_weight``.

    A weight-stationary array loads each weight once and uses it once per input of the
    batch (a multiply and an add); activations stay in the on-chip buffer (TPU v1's
    24 MiB Unified Buffer), so only weights come from memory. The size of the layer cancels.
    """
    batch_size = check_int("batch_size", batch_size, 1)
    bytes_per_weight = check_number("bytes_per_weight", bytes_per_weight, 0, exclusive_minimum=True)
    return 2 * batch_size / bytes_per_weight


def batch_for_peak(device="TPU v1", bytes_per_weight: float = 1) -> int:
    """The smallest batch whose FC intensity reaches the device's ridge point: ``ceil(ridge x bytes_per_weight / 2)``."""
    device = _compute_device(device)
    bytes_per_weight = check_number("bytes_per_weight", bytes_per_weight, 0, exclusive_minimum=True)
    return math.ceil(ridge_point(device) * bytes_per_weight / 2 - 1e-9)


def fc_batch_table(device="TPU v1", batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
                   bytes_per_weight: float = 1) -> pd.DataFrame:
    """An FC layer on ``device`` vs batch: ``batch``, ``intensity`` (ops/weight byte), ``attainable`` (ops/s),
    ``fraction_of_peak``, ``bound``."""
    device = _compute_device(device)
    rows = []
    for b in batch_sizes:
        intensity = fc_weight_intensity(b, bytes_per_weight)
        attainable = min(device.peak_flops, device.mem_bandwidth * intensity)
        rows.append((b, intensity, attainable, attainable / device.peak_flops,
                     "compute" if attainable >= device.peak_flops else "memory"))
    table = pd.DataFrame(rows, columns=["batch", "intensity", "attainable", "fraction_of_peak", "bound"])
    table.attrs.update(device=device.name, peak_flops=device.peak_flops, mem_bandwidth=device.mem_bandwidth)
    return table
