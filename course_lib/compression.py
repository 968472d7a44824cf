"""Compression as transformations of layers and networks, and NumPy helpers on real arrays (notebook 06).

Every transformation returns ordinary layers or a new ``Network``, so ``analyze`` and
``roofline`` count the result with no special case:

- low rank: ``svd_linear`` (an FC layer as two thinner ones), ``tucker2_conv`` and
  ``cp_conv`` (a conv as three or four smaller convs), ``low_rank_fc`` (every FC of a network);
- pruning: ``prune(network, sparsity, structured=False)``. Unstructured pruning keeps each
  layer's shape and stores only its nonzero weights, each with an index
  (``SparseConv2d`` / ``SparseLinear``). Structured pruning removes whole output channels
  of the convs, so the layers really shrink;
- quantization: ``quantize(network, bits)`` stores the weights of every conv / FC layer in
  ``bits`` bits (``QuantizedConv2d`` / ``QuantizedLinear``).

What counts as MACs after unstructured pruning. A sparse layer's ``macs`` stays the
dense count: a dense GPU or CPU kernel (cuBLAS, cuDNN, MKL) multiplies the zeros too,
and sparse kernels only beat dense ones at very high sparsity, because of their
irregular memory access. What shrinks is the storage (``params`` = the nonzeros,
``bytes_per_param`` with the index overhead), so ``roofline`` sees fewer weight bytes
and nothing else. ``nonzero_macs`` gives the theoretical count papers quote.

The NumPy helpers (truncated SVD, Tucker-2, CP, magnitude pruning, uniform, binary and
ternary quantization and their errors) live in ``compression_numeric`` and are re-exported here.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
import math

import pandas as pd

from ._checks import check_choice, check_int, check_number
from .analysis import Network, analyze, layer_costs
from .compression_numeric import *  # noqa: F401,F403
from .compression_numeric import __all__ as _numeric_all
from .layers import Composite, Conv2d, Layer, LayerCost, Linear, Residual
from .energy import dram_energy_per_byte, mac_energy

__all__ = [
    "svd_linear", "tucker2_conv", "cp_conv", "low_rank_fc",
    "SparseConv2d", "SparseLinear", "QuantizedConv2d", "QuantizedLinear",
    "prune", "quantize", "nonzero_macs", "compress", "compression_summary", "format_summary", "compression_energy",
    "sparse_bytes_per_weight", *_numeric_all,
]

# ---------------------------------------------------------------- low rank


def _in_out(layer_or_in_out, in_features):
    """(layer or None, in_features, out_features) from a Linear + in_features, or an (in, out) pair."""
    if isinstance(layer_or_in_out, Linear):
        if in_features is None:
            raise ValueError("in_features is needed with a Linear layer: a layer does not know its input size "
                             "(e.g. svd_linear(Linear(4096), 256, in_features=9216))")
        return layer_or_in_out, check_int("in_features", in_features, 1), layer_or_in_out.out_features
    if isinstance(layer_or_in_out, (tuple, list)) and len(layer_or_in_out) == 2:
        if in_features is not None:
            raise ValueError("give in_features only with a Linear layer, not with an (in, out) pair")
        n_in = check_int("in_features", layer_or_in_out[0], 1)
        n_out = check_int("out_features", layer_or_in_out[1], 1)
        return None, n_in, n_out
    raise TypeError(f"layer_or_in_out must be a Linear layer or an (in_features, out_features) pair, "
                    f"got {layer_or_in_out!r}")


def _suffix(name, suffix):
    return None if name is None else f"{name}_{suffix}"


def svd_linear(layer_or_in_out, rank: int, *, in_features: int | None = None, name: str | None = None):
    """An FC layer W (out x in) as two: ``x -> B x`` (in -> rank, no bias), then ``A (B x) + b`` (rank -> out).

    ``W ~ A @ B`` is the truncated SVD (``truncated_svd``). Weights: ``rank*(in + out)``
    instead of ``in*out``; MACs likewise. It saves only when ``rank < in*out/(in + out)``.
    ``layer_or_in_out`` is a ``Linear`` (then ``in_features`` is needed) or an
    ``(in_features, out_features)`` pair. ``rank`` is 1..min(in, out). The two layers are
    named ``{name}_in`` and ``{name}_out`` (as Tucker-2's) when the layer (or ``name``) has a name.
    """
    layer, n_in, n_out = _in_out(layer_or_in_out, in_features)
    rank = check_int("rank", rank, 1, min(n_in, n_out))
    name = name if name is not None else (layer.name if layer is not None else None)
    bias = layer.bias if layer is not None else True
    return (Linear(rank, bias=False, name=_suffix(name, "in")),
            Linear(n_out, bias=bias, name=_suffix(name, "out")))


def _plain_conv(conv, in_channels):
    if not isinstance(conv, Conv2d):
        raise TypeError(f"conv must be a Conv2d, got {conv!r}")
    in_channels = check_int("in_channels", in_channels, 1)
    if conv.groups != 1:
        raise ValueError(f"conv has groups={conv.groups}; these factorizations are for groups=1 convs "
                         "(factorize each group on its own)")
    return in_channels


def tucker2_conv(conv: Conv2d, in_channels: int, rank_in: int, rank_out: int, *, name: str | None = None):
    """A KxK conv (C_in -> C_out) as three: 1x1 (C_in -> R_in), KxK (R_in -> R_out, the original
    stride, padding and dilation), 1x1 (R_out -> C_out, the original bias).

    Weights ``C_in*R_in + K_h*K_w*R_in*R_out + R_out*C_out`` instead of ``K_h*K_w*C_in*C_out``
    (Kim et al., ICLR 2016). ``rank_in`` is 1..C_in, ``rank_out`` 1..C_out. A layer does not
    know its input channels, so ``in_channels`` is an argument.
    """
    in_channels = _plain_conv(conv, in_channels)
    rank_in = check_int("rank_in", rank_in, 1, in_channels)
    rank_out = check_int("rank_out", rank_out, 1, conv.out_channels)
    name = name if name is not None else conv.name
    return (Conv2d(rank_in, 1, bias=False, name=_suffix(name, "in")),
            Conv2d(rank_out, conv.kernel_size, conv.stride, conv.padding, conv.dilation, bias=False,
                   name=_suffix(name, "core")),
            Conv2d(conv.out_channels, 1, bias=conv.bias, name=_suffix(name, "out")))


def cp_conv(conv: Conv2d, in_channels: int, rank: int, *, name: str | None = None):
    """A KxK conv as four (Lebedev et al., ICLR 2015): 1x1 (C_in -> R), Kx1 depthwise and 1xK
    depthwise (groups=R, the original stride/padding/dilation split by axis), 1x1 (R -> C_out).

    Weights ``R*(C_in + K_h + K_w + C_out)`` instead of ``K_h*K_w*C_in*C_out``. ``rank`` >= 1
    (a CP rank may exceed the channel counts, though it then saves little).
    """
    in_channels = _plain_conv(conv, in_channels)
    rank = check_int("rank", rank, 1)
    name = name if name is not None else conv.name
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    return (Conv2d(rank, 1, bias=False, name=_suffix(name, "in")),
            Conv2d(rank, (kh, 1), (sh, 1), (ph, 0), (dh, 1), groups=rank, bias=False, name=_suffix(name, "kx1")),
            Conv2d(rank, (1, kw), (1, sw), (0, pw), (1, dw), groups=rank, bias=False, name=_suffix(name, "1xk")),
            Conv2d(conv.out_channels, 1, bias=conv.bias, name=_suffix(name, "out")))


def _default_names(layers):
    """Each layer with the name ``analyze`` would give it, so that inserting layers renames nothing."""
    counters, named = {}, []
    for layer in layers:
        counters[layer.prefix] = counters.get(layer.prefix, 0) + 1
        named.append(layer if layer.name else replace(layer, name=f"{layer.prefix}{counters[layer.prefix]}"))
    return named


def low_rank_fc(network: Network, rank: int) -> Network:
    """Every top-level FC layer for which rank ``rank`` saves weights, replaced by its ``svd_linear`` pair.

    An FC layer (in -> out) is factorized when ``rank*(in + out) < in*out``; the others
    (e.g. AlexNet's last layer at a large rank) stay as they are.
    """
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")
    rank = check_int("rank", rank, 1)
    layers = _default_names(network.layers)
    in_shapes = {name: in_shape for name, _, _, in_shape, _ in layer_costs(replace(network, layers=tuple(layers)))}
    new = []
    for layer in layers:
        if isinstance(layer, Linear) and not isinstance(layer, (SparseLinear, QuantizedLinear)):
            (n_in,) = in_shapes[layer.name]
            if rank * (n_in + layer.out_features) < n_in * layer.out_features:
                new.extend(svd_linear(layer, rank, in_features=n_in))
                continue
        new.append(layer)
    return Network(f"{network.name}, FC rank {rank}", network.input_shape, tuple(new))


# ---------------------------------------------------------------- sparse and quantized layers


def sparse_bytes_per_weight(value_bits: int = 32, index_bits: int = 16) -> float:
    """Bytes one kept weight takes in a sparse layout: its value plus its (column) index.

    The compressed-sparse-row layout (CSR) stores, per nonzero, its value and its column
    index, plus one row pointer per row (left out here: one per output, under 1% for the
    layers of the course). Sparse storage is smaller than dense only when the density is
    below ``value_bits / (value_bits + index_bits)`` (2/3 for fp32 values and 16-bit indices).
    """
    value_bits = check_int("value_bits", value_bits, 1, 64)
    index_bits = check_int("index_bits", index_bits, 0, 64)
    return (value_bits + index_bits) / 8


def _check_density(density):
    density = check_number("density", density, 0, 1)
    if density == 0:
        raise ValueError("density must be > 0 and <= 1 (the kept fraction of the weights), got 0")
    return density


class _Sparse:
    """Shared by SparseConv2d and SparseLinear: the dense cost, with only the nonzeros stored."""

    def _check_sparse(self):
        object.__setattr__(self, "density", _check_density(self.density))
        check_int("value_bits", self.value_bits, 1, 64)
        check_int("index_bits", self.index_bits, 0, 64)

    def cost(self, in_shape, where):
        dense = super().cost(in_shape, where)
        biases = self._bias_count() if self.bias else 0
        weights = dense.params - biases
        nonzeros = round(self.density * weights)
        params = nonzeros + biases
        stored = nonzeros * sparse_bytes_per_weight(self.value_bits, self.index_bits) + biases * self.value_bits / 8
        return dense._replace(params=params, bytes_per_param=stored / params if params else 0.0)


@dataclass(frozen=True)
class SparseConv2d(_Sparse, Conv2d):
    """A Conv2d that stores only ``density`` of its weights, each with an ``index_bits`` index.

    ``params`` = nonzero weights + biases; ``bytes_per_param`` includes the indices;
    ``macs`` stays the dense count (what a dense kernel executes; see the module docstring).
    """
    density: float = 1.0      # kept fraction of the weights (1 - sparsity)
    value_bits: int = 32      # bits of one stored weight value (fp32)
    index_bits: int = 16      # bits of one column index (16 bits address rows up to 65,536 long)

    def __post_init__(self):
        super().__post_init__()
        self._check_sparse()

    def _bias_count(self):
        return self.out_channels


@dataclass(frozen=True)
class SparseLinear(_Sparse, Linear):
    """A Linear layer that stores only ``density`` of its weights, each with an index (see SparseConv2d)."""
    density: float = 1.0
    value_bits: int = 32
    index_bits: int = 16

    def __post_init__(self):
        super().__post_init__()
        self._check_sparse()

    def _bias_count(self):
        return self.out_features


class _Quantized:
    def cost(self, in_shape, where):
        return super().cost(in_shape, where)._replace(bytes_per_param=self.bits / 8)


@dataclass(frozen=True)
class QuantizedConv2d(_Quantized, Conv2d):
    """A Conv2d whose weights (and biases) are stored in ``bits`` bits: ``bytes_per_param = bits/8``."""
    bits: int = 8

    def __post_init__(self):
        super().__post_init__()
        check_int("bits", self.bits, 1, 32)


@dataclass(frozen=True)
class QuantizedLinear(_Quantized, Linear):
    """A Linear layer whose weights (and biases) are stored in ``bits`` bits."""
    bits: int = 8

    def __post_init__(self):
        super().__post_init__()
        check_int("bits", self.bits, 1, 32)


def _base_fields(layer, base):
    return {f.name: getattr(layer, f.name) for f in fields(base)}


def _map_layers(layers, transform):
    """Apply ``transform`` to every conv / FC layer, descending into blocks (Residual, Concat, Gate, Block)."""
    out = []
    for layer in layers:
        if isinstance(layer, Composite):
            out.append(layer.with_parts(tuple(_map_layers(part, transform) for _, part in layer.parts)))
        elif isinstance(layer, (Conv2d, Linear)):
            out.append(transform(layer))
        else:
            out.append(layer)
    return tuple(out)


def _value_bits(layer):
    if isinstance(layer, (SparseConv2d, SparseLinear)):
        return layer.value_bits
    if isinstance(layer, (QuantizedConv2d, QuantizedLinear)):
        return layer.bits
    return 32


def _check_network(network):
    if not isinstance(network, Network):
        raise TypeError(f"network must be a Network, got {type(network).__name__}")


def _check_sparsity(sparsity):
    sparsity = check_number("sparsity", sparsity, 0, 1)
    if sparsity >= 1:
        raise ValueError(f"sparsity must be >= 0 and < 1 (the fraction of weights removed), got {sparsity:g}")
    return sparsity


def quantize(network: Network, bits: int) -> Network:
    """Every conv and FC layer stores its weights in ``bits`` bits (1..32): 32 fp32, 8 int8, 1 binary.

    Layer shapes and MACs are unchanged; ``param_bytes`` become ``params * bits/8`` (biases
    included, a simplification: int8 schemes often keep 32-bit biases, a tiny share).
    Activations keep the width ``analyze``/``roofline`` are given (``bytes_per_element``).
    A pruned layer keeps its sparsity and stores ``bits``-bit values.
    """
    _check_network(network)
    bits = check_int("bits", bits, 1, 32)

    def transform(layer):
        if isinstance(layer, (SparseConv2d, SparseLinear)):
            return replace(layer, value_bits=bits)
        base = Conv2d if isinstance(layer, Conv2d) else Linear
        cls = QuantizedConv2d if base is Conv2d else QuantizedLinear
        return cls(**_base_fields(layer, base), bits=bits)

    return Network(f"{network.name}, {bits}-bit weights", network.input_shape, _map_layers(network.layers, transform))


def prune(network: Network, sparsity: float, structured: bool = False, *, index_bits: int = 16) -> Network:
    """Remove the ``sparsity`` fraction (0 <= sparsity < 1) of the weights of every conv and FC layer.

    - ``structured=False`` (unstructured, magnitude pruning, Han et al. 2015): shapes stay;
      each layer becomes a ``SparseConv2d``/``SparseLinear`` storing ``1 - sparsity`` of its
      weights, each with an ``index_bits`` index. MACs stay dense (module docstring).
    - ``structured=True`` (channel pruning): each conv keeps ``round((1 - sparsity) * C_out)``
      output channels (at least one, a multiple of its groups and of the next conv's);
      the next layer sees fewer inputs, so params, MACs and bytes really shrink. FC layers
      lose the inputs that came from removed channels, not outputs. Inside a residual network
      only the convs inside a block's body that do not end it are pruned (the outputs that
      are added together must keep their channels); depthwise convs follow their input.
    """
    _check_network(network)
    sparsity = _check_sparsity(sparsity)
    if not isinstance(structured, bool):
        raise TypeError(f"structured must be True or False, got {structured!r}")
    index_bits = check_int("index_bits", index_bits, 0, 64)
    if structured:
        return _prune_channels(network, 1 - sparsity, sparsity)

    def transform(layer):
        base = Conv2d if isinstance(layer, Conv2d) else Linear
        cls = SparseConv2d if base is Conv2d else SparseLinear
        return cls(**_base_fields(layer, base), density=1 - sparsity, value_bits=_value_bits(layer),
                   index_bits=index_bits)

    return Network(f"{network.name}, {sparsity:.0%} unstructured sparsity", network.input_shape,
                   _map_layers(network.layers, transform))


def _is_depthwise(conv, in_channels):
    return conv.groups > 1 and conv.groups == in_channels


def _prune_channels(network, keep, sparsity):
    costs = {name: (in_shape, cost) for name, _, _, in_shape, cost in layer_costs(network)}
    has_blocks = any(isinstance(layer, Residual) for layer in network.layers)

    def walk(layers, prefix, channels, protect_last, prunable):
        layers = _default_names(layers)
        convs = [i for i, layer in enumerate(layers) if isinstance(layer, Conv2d)]
        out = []
        for i, layer in enumerate(layers):
            full = prefix + layer.name
            if isinstance(layer, Residual):
                body = walk(layer.body, full + ".", channels, True, True)
                out.append(replace(layer, body=body))  # a block's input and output keep their channels
                continue
            if not isinstance(layer, Conv2d):
                out.append(layer)
                continue
            in_shape, cost = costs[full]
            c_in = in_shape[0]
            if _is_depthwise(layer, c_in):  # one filter group per input channel: follow the input
                multiplier = layer.out_channels // layer.groups
                layer = replace(layer, groups=channels, out_channels=channels * multiplier)
            elif prunable and not (protect_last and i == convs[-1]):
                following = [layers[j] for j in convs if j > i]
                step = layer.groups
                if following and not _is_depthwise(following[0], costs[prefix + following[0].name][0][0]):
                    step = math.lcm(step, following[0].groups)
                kept = max(step, round(keep * layer.out_channels / step) * step)
                layer = replace(layer, out_channels=min(kept, layer.out_channels))
            channels = layer.out_channels
            out.append(layer)
        return tuple(out)

    layers = walk(network.layers, "", network.input_shape[0], False, not has_blocks)
    return Network(f"{network.name}, {sparsity:.0%} of channels pruned", network.input_shape, layers)


def nonzero_macs(network: Network) -> int:
    """The MACs a sparse kernel would do: each layer's MACs times its density (what pruning papers quote)."""
    _check_network(network)
    density = {}

    def collect(layers, prefix):
        for layer in _default_names(layers):
            if isinstance(layer, Composite):
                for infix, part in layer.parts:
                    collect(part, f"{prefix}{layer.name}.{infix}")
            elif isinstance(layer, (SparseConv2d, SparseLinear)):
                density[prefix + layer.name] = layer.density

    collect(network.layers, "")
    return int(sum(round(cost.macs * density.get(name, 1.0)) for name, _, _, _, cost in layer_costs(network)))


# ---------------------------------------------------------------- a whole pipeline and its summary


def compress(network: Network, *, fc_rank: int | None = None, sparsity: float = 0.0, structured: bool = False,
             bits: int = 32) -> Network:
    """Low-rank FC layers (``fc_rank``, None = off), then pruning (``sparsity``), then ``bits``-bit weights.

    The order of Deep Compression (Han et al., ICLR 2016: prune, then quantize). Each step
    that is off (rank None, sparsity 0, bits 32) leaves the network as it is.
    """
    _check_network(network)
    if fc_rank is not None:
        network = low_rank_fc(network, fc_rank)
    if _check_sparsity(sparsity) > 0:
        network = prune(network, sparsity, structured)
    if check_int("bits", bits, 1, 32) != 32:
        network = quantize(network, bits)
    return network


def compression_summary(original: Network, compressed: Network, device, batch_size: int = 1,
                        bytes_per_element: float = 4) -> pd.DataFrame:
    """Params, MACs (dense and nonzero), weight bytes, bytes moved and predicted time, before and after.

    Rows are the quantities; columns ``original``, ``compressed`` and ``ratio``
    (original / compressed, so 4.0 means four times less). Times come from ``roofline``
    on ``device`` (each layer reads its input and weights once and writes its output once).
    """
    from .roofline import roofline

    rows = {}
    for label, network in (("original", original), ("compressed", compressed)):
        table = roofline(network, device, batch_size, bytes_per_element)
        rows[label] = {
            "params": int(table["params"].sum()),
            "MACs (dense kernels)": int(table["macs"].sum()),
            "MACs (nonzeros only)": nonzero_macs(network),
            "weight bytes": float(table["param_bytes"].sum()),
            "bytes moved": float((table["bytes_read"] + table["bytes_written"]).sum()),
            "predicted time (s)": float(table["time_s"].sum()),
        }
    summary = pd.DataFrame(rows)
    summary["ratio"] = summary["original"] / summary["compressed"]
    summary.attrs.update(device=table.attrs["device"], batch_size=batch_size)
    return summary


def format_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """``compression_summary`` rendered for reading: counts with commas, bytes with a prefix, time in ms.

    Render only (collect, total, render): the numbers stay in ``summary``.
    """
    from .units import format_bytes

    def render(row, value):
        if row.startswith("predicted time"):
            return f"{value * 1e3:,.3f} ms"
        if "bytes" in row:
            return format_bytes(value)
        return f"{value:,.0f}"

    shown = pd.DataFrame({column: [render(row, summary.loc[row, column]) for row in summary.index]
                          for column in ("original", "compressed")},
                         index=[row.replace(" (s)", "") for row in summary.index])
    shown["ratio"] = [f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x" for r in summary["ratio"]]
    return shown


# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm, as tabulated by Han et al. (NIPS 2015), in pJ.
_MAC_DTYPE = {32: "fp32", 8: "int8"}   # course_lib.energy's MACs: fp32, or int8 with a 32-bit accumulator


def compression_energy(network: Network, bits: int = 32, batch_size: int = 1) -> dict:
    """Energy of one inference's weight reads from DRAM and its MACs at 45 nm (Horowitz 2014), in joules.

    ``bits`` is 32 (fp32 MACs: 3.7 + 0.9 pJ) or 8 (int8 MACs: an 8-bit multiply and a 32-bit
    accumulate, 0.2 + 0.1 pJ), priced by ``course_lib.energy``. Weight reads: ``param_bytes`` of
    ``analyze`` (so a quantized or pruned network reads less) at 640 pJ per 4 bytes, once per
    batch; MACs: ``macs * batch_size``.
    Activations are left out. Returns the named parts and their ``total_J``.
    """
    _check_network(network)
    bits = check_choice("bits", bits, tuple(_MAC_DTYPE))
    batch_size = check_int("batch_size", batch_size, 1)
    table = analyze(network, batch_size, bytes_per_element=bits / 8)
    parts = {
        "weights_from_DRAM_J": float(table["param_bytes"].sum()) * dram_energy_per_byte() * 1e-12,
        "macs_J": float(table["macs"].sum()) * batch_size * mac_energy(_MAC_DTYPE[bits]) * 1e-12,
    }
    parts["total_J"] = sum(parts.values())
    return parts
