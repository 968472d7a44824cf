"""Compression on real NumPy arrays: what each trade costs in accuracy, not just what it saves (notebook 06).

Every helper takes a weight array and returns the compressed version (or its parts)
and the relative error ``||W - W_hat||_F / ||W||_F`` (the Frobenius norm: the square
root of the sum of squared entries). Randomness is seeded: the same call gives the
same numbers on every machine.

- Low rank: ``truncated_svd`` (Eckart-Young: the best rank-r approximation of a matrix
  keeps its r largest singular values), ``tucker2`` of a conv kernel (HOSVD of its two
  channel modes) and ``cp_als`` (the CP decomposition by alternating least squares).
- Pruning: ``magnitude_prune`` keeps the largest |w| (Han et al., NIPS 2015).
- Quantization: ``quantize_uniform`` (symmetric, per tensor, b bits), ``binarize``
  (BWN, Rastegari et al., ECCV 2016: alpha * sign(W), alpha = mean|W|) and
  ``ternarize`` (TWN, Li, Zhang & Liu 2016: alpha * {-1, 0, +1}, threshold 0.7 * mean|W|).
- ``tradeoff_table``: every technique's error against its byte saving on one matrix.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._checks import check_int, check_number

__all__ = [
    "relative_error", "synthetic_weights", "truncated_svd", "svd_error", "svd_error_curve",
    "tucker2", "tucker2_reconstruct", "cp_als", "cp_reconstruct",
    "magnitude_prune", "quantize_uniform", "binarize", "ternarize", "tradeoff_table",
]


def _array(name, value, ndim=None) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a NumPy array of numbers, got {type(value).__name__}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a NumPy array of numbers, got {type(value).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must hold finite numbers (no NaN or inf)")
    return array


def relative_error(W, W_hat) -> float:
    """``||W - W_hat||_F / ||W||_F``: 0 is exact, 1 is as bad as replacing W by zeros."""
    W, W_hat = _array("W", W), _array("W_hat", W_hat)
    if W.shape != W_hat.shape:
        raise ValueError(f"W_hat must have W's shape {W.shape}, got {W_hat.shape}")
    norm = np.linalg.norm(W)
    if norm == 0:
        raise ValueError("W is all zeros: its relative error is undefined")
    return float(np.linalg.norm(W - W_hat) / norm)


def synthetic_weights(rows: int, cols: int, decay: float = 1.0, seed: int = 0) -> np.ndarray:
    """A ``rows x cols`` matrix with singular values ``s_k = k**-decay`` and random singular vectors.

    Trained layers have singular values that fall off (which is why low rank works on
    them); a Gaussian random matrix has a flat spectrum. ``decay=0`` gives a flat one.
    The course has no trained weights offline, so notebook 06 uses this stand-in and says so.
    """
    rows, cols = check_int("rows", rows, 1), check_int("cols", cols, 1)
    decay = check_number("decay", decay, 0)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    k = min(rows, cols)
    U, _ = np.linalg.qr(rng.standard_normal((rows, k)))
    V, _ = np.linalg.qr(rng.standard_normal((cols, k)))
    s = np.arange(1, k + 1, dtype=float) ** -decay
    return (U * s) @ V.T


def _check_rank(name, rank, largest):
    return check_int(name, rank, 1, largest)


def truncated_svd(W, rank: int):
    """The best rank-``rank`` approximation ``A @ B`` of a matrix W (m x n): A is m x r, B is r x n.

    ``A = U_r * s_r`` and ``B = V_r^T`` from ``numpy.linalg.svd``. Storing A and B takes
    ``r*(m + n)`` numbers instead of ``m*n`` (what ``svd_linear`` builds as two layers).
    """
    W = _array("W", W, ndim=2)
    rank = _check_rank("rank", rank, min(W.shape))
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    return U[:, :rank] * s[:rank], Vt[:rank]


def svd_error(W, rank: int) -> float:
    """Relative Frobenius error of the rank-``rank`` truncated SVD of W."""
    A, B = truncated_svd(W, rank)
    return relative_error(W, A @ B)


def svd_error_curve(W, ranks=None) -> pd.DataFrame:
    """For each rank: ``params`` r*(m+n), ``kept`` (params / m*n) and ``rel_error`` of the truncated SVD.

    ``ranks`` defaults to 1, 2, 4, ... up to min(m, n).
    """
    W = _array("W", W, ndim=2)
    m, n = W.shape
    if ranks is None:
        ranks = sorted({min(2 ** i, min(m, n)) for i in range(int(math.log2(min(m, n))) + 2)})
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    rows = []
    for rank in ranks:
        rank = _check_rank("rank", rank, min(m, n))
        W_hat = (U[:, :rank] * s[:rank]) @ Vt[:rank]
        rows.append((rank, rank * (m + n), rank * (m + n) / (m * n), relative_error(W, W_hat)))
    return pd.DataFrame(rows, columns=["rank", "params", "kept", "rel_error"])


def _unfold(T, mode):
    """Mode-``mode`` unfolding: axis ``mode`` becomes the rows, the others (in order) the columns."""
    return np.moveaxis(T, mode, 0).reshape(T.shape[mode], -1)


def tucker2(kernel, rank_in: int, rank_out: int):
    """Tucker-2 of a conv kernel (C_out, C_in, K_h, K_w) by HOSVD: ``(core, U_in, U_out)``.

    ``U_out`` (C_out x R_out) and ``U_in`` (C_in x R_in) are the leading left singular
    vectors of the kernel unfolded along its output and input channels; the core is
    (R_out, R_in, K_h, K_w). As layers: a 1x1 conv with U_in^T (C_in -> R_in), a KxK conv
    with the core (R_in -> R_out), a 1x1 conv with U_out (R_out -> C_out): ``tucker2_conv``.
    """
    kernel = _array("kernel", kernel, ndim=4)
    c_out, c_in = kernel.shape[:2]
    rank_in = _check_rank("rank_in", rank_in, c_in)
    rank_out = _check_rank("rank_out", rank_out, c_out)
    U_out = np.linalg.svd(_unfold(kernel, 0), full_matrices=False)[0][:, :rank_out]
    U_in = np.linalg.svd(_unfold(kernel, 1), full_matrices=False)[0][:, :rank_in]
    core = np.einsum("oikl,or,is->rskl", kernel, U_out, U_in)  # (R_out, R_in, K_h, K_w)
    return core, U_in, U_out


def tucker2_reconstruct(core, U_in, U_out) -> np.ndarray:
    """The kernel (C_out, C_in, K_h, K_w) that the three factors of ``tucker2`` stand for."""
    return np.einsum("rskl,or,is->oikl", core, U_out, U_in)


def cp_als(tensor, rank: int, iterations: int = 100, seed: int = 0):
    """CP decomposition by alternating least squares: a list of factors, one (d_k x R) per axis.

    ``tensor ~ sum_r a_r (x) b_r (x) c_r (x) ...``. For a conv kernel (C_out, C_in, K_h, K_w)
    the four factors are the four small convs of ``cp_conv`` (Lebedev et al., ICLR 2015).
    ALS is a local method: seeded, it gives the same answer every time, not always the best one.
    """
    tensor = _array("tensor", tensor)
    if tensor.ndim < 2:
        raise ValueError(f"tensor must have at least 2 dimensions, got shape {tensor.shape}")
    rank = check_int("rank", rank, 1)
    iterations = check_int("iterations", iterations, 1)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    factors = [rng.standard_normal((d, rank)) for d in tensor.shape]
    for _ in range(iterations):
        for mode in range(tensor.ndim):
            others = [f for i, f in enumerate(factors) if i != mode]
            khatri_rao = others[0]
            for f in others[1:]:  # row (i, j, ...) holds the product of the others' rows, first axis slowest
                khatri_rao = (khatri_rao[:, None, :] * f[None, :, :]).reshape(-1, rank)
            gram = np.prod([f.T @ f for f in others], axis=0)
            factors[mode] = _unfold(tensor, mode) @ khatri_rao @ np.linalg.pinv(gram)
    return factors


def cp_reconstruct(factors) -> np.ndarray:
    """``sum_r`` of the outer products of the factors' columns r."""
    result = factors[0]
    for f in factors[1:]:
        result = (result[..., None, :] * f.reshape((1,) * (result.ndim - 1) + f.shape))
    return result.sum(axis=-1)


def magnitude_prune(W, sparsity: float):
    """Zero the ``sparsity`` fraction of W with the smallest |w|: returns ``(mask, kept_fraction)``.

    ``mask`` is a boolean array (True = kept); ``W * mask`` is the pruned weight.
    ``round((1 - sparsity) * W.size)`` entries are kept (ties broken by position).
    """
    W = _array("W", W)
    sparsity = check_number("sparsity", sparsity, 0, 1)
    keep = round((1 - sparsity) * W.size)
    order = np.argsort(-np.abs(W), axis=None, kind="stable")
    mask = np.zeros(W.size, dtype=bool)
    mask[order[:keep]] = True
    return mask.reshape(W.shape), keep / W.size


def quantize_uniform(W, bits: int):
    """Symmetric per-tensor uniform quantization to ``bits`` bits: returns ``(W_hat, q, scale)``.

    ``scale = max|W| / (2**(bits-1) - 1)``, ``q = clip(round(W / scale))`` is an integer in
    ``[-(2**(bits-1) - 1), 2**(bits-1) - 1]`` (int8: -127..127), ``W_hat = q * scale``.
    ``bits`` is 2..16 (1 bit has no symmetric levels besides 0: use ``binarize``).
    """
    W = _array("W", W)
    bits = check_int("bits", bits, 2, 16)
    levels = 2 ** (bits - 1) - 1
    peak = np.abs(W).max()
    scale = peak / levels if peak > 0 else 1.0
    q = np.clip(np.round(W / scale), -levels, levels).astype(np.int32)
    return q * scale, q, float(scale)


def binarize(W):
    """BWN (Rastegari et al., XNOR-Net, ECCV 2016): ``W ~ alpha * B``, B = sign(W) in {-1, +1}, alpha = mean|W|.

    Returns ``(W_hat, B, alpha)``; sign(0) is taken as +1. alpha = mean|W| is the scale
    that minimises ||W - alpha*B||_F for that B.
    """
    W = _array("W", W)
    B = np.where(W >= 0, 1, -1).astype(np.int8)
    alpha = float(np.abs(W).mean())
    return alpha * B, B, alpha


def ternarize(W, threshold: float = 0.7):
    """TWN (Li, Zhang & Liu, "Ternary weight networks", arXiv 2016): ``W ~ alpha * T``, T in {-1, 0, +1}; returns ``(W_hat, T, alpha)``.

    Entries with |w| <= delta = ``threshold`` * mean|W| become 0; alpha is the mean |w|
    of the others. Each ternary T is the sum of two binary halves:
    ``T = (B1 + B2) / 2`` with B1, B2 in {-1, +1} (equal where T = +-1, opposite where T = 0),
    so a ternary layer runs as two binary ones.
    """
    W = _array("W", W)
    threshold = check_number("threshold", threshold, 0)
    delta = threshold * np.abs(W).mean()
    T = (np.sign(W) * (np.abs(W) > delta)).astype(np.int8)
    kept = np.abs(W)[T != 0]
    alpha = float(kept.mean()) if kept.size else 0.0
    return alpha * T, T, alpha


def tradeoff_table(W, ranks=None, sparsities=(0.5, 0.75, 0.9, 0.95, 0.98),
                   bits=(16, 8, 4, 3, 2), value_bits: int = 32, index_bits: int = 16) -> pd.DataFrame:
    """Error against saving for every technique on one matrix W (m x n, stored in fp32).

    One row per setting: ``technique`` (low rank, pruning, quantization, binary / ternary), ``setting``, ``bytes`` of storage, ``ratio``
    (fp32 dense bytes / these bytes, the compression factor) and ``rel_error``.
    Storage: low rank ``r*(m+n)`` fp32 numbers; pruning ``nonzeros*(value_bits + index_bits)/8``
    (each kept weight carries an index); quantization ``m*n*b/8`` plus one fp32 scale;
    binary 1 bit and ternary 2 bits per weight plus one fp32 alpha (BWN and TWN scales).
    """
    W = _array("W", W, ndim=2)
    m, n = W.shape
    dense = 4 * m * n
    if ranks is None:  # the powers of two at which low rank saves bytes
        ranks = [2 ** i for i in range(int(math.log2(min(m, n))) + 1) if 2 ** i * (m + n) < m * n]
    rows = []
    for r in svd_error_curve(W, ranks).itertuples():
        rows.append(("low rank (SVD)", f"rank {r.rank}", 4 * r.params, r.rel_error))
    for s in sparsities:
        mask, kept = magnitude_prune(W, s)
        rows.append(("pruning", f"{s:.0%} zeros", mask.sum() * (value_bits + index_bits) / 8, relative_error(W, W * mask)))
    for b in bits:
        rows.append(("quantization", f"{b} bits", m * n * b / 8 + 4, relative_error(W, quantize_uniform(W, b)[0])))
    rows.append(("binary / ternary", "ternary", m * n * 2 / 8 + 4, relative_error(W, ternarize(W)[0])))
    rows.append(("binary / ternary", "binary", m * n / 8 + 4, relative_error(W, binarize(W)[0])))
    table = pd.DataFrame(rows, columns=["technique", "setting", "bytes", "rel_error"])
    table.insert(3, "ratio", dense / table["bytes"])
    return table
