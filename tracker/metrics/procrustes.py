"""Rigid alignment of point sets (Kabsch / similarity Procrustes), vectorised over a stack."""

from __future__ import annotations

import numpy as np


def similarity_align(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None):
    """Best rotation, scale and translation mapping ``target`` onto each ``source`` in a stack.

    Solves ``source ~ scale * target @ R.T + translation`` in the least-squares sense.

    Parameters
    ----------
    source : (N, K, 3) or (K, 3) points (for example the measured meshes).
    target : (K, 3) points (for example the reference face).
    weights : optional (K,) non-negative weights.

    Returns
    -------
    rotation : (N, 3, 3) proper rotations (det +1).
    scale : (N,) scale factors.
    translation : (N, 3).
    """
    src = np.asarray(source, dtype=np.float64)
    single = src.ndim == 2
    if single:
        src = src[None]
    tgt = np.asarray(target, dtype=np.float64)
    w = np.ones(tgt.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    src_mean = np.einsum("k,nkd->nd", w, src)
    tgt_mean = w @ tgt
    src_c = src - src_mean[:, None, :]
    tgt_c = tgt - tgt_mean
    cov = np.einsum("k,nki,kj->nij", w, src_c, tgt_c)
    u, sing, vt = np.linalg.svd(cov)
    det = np.sign(np.linalg.det(u @ vt))
    fix = np.ones((src.shape[0], 3))
    fix[:, 2] = det
    rotation = (u * fix[:, None, :]) @ vt
    tgt_var = w @ np.sum(tgt_c**2, axis=1)
    scale = np.sum(sing * fix, axis=1) / tgt_var
    translation = src_mean - scale[:, None] * (tgt_mean @ rotation.transpose(0, 2, 1))
    if single:
        return rotation[0], scale[0], translation[0]
    return rotation, scale, translation
