"""Rotary position embeddings (the rotate-half convention of Qwen and Llama), with the
Llama 3 frequency rescaling selected by `ModelConfig.rope_scaling`."""
from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from rl.models.config import ModelConfig


def inverse_frequencies(config: ModelConfig) -> np.ndarray:
    """Per-pair rotation frequencies, shape [head_dim // 2], float32, Llama 3 scaling applied."""
    half = config.head_dim // 2
    inv_freq = 1.0 / (config.rope_theta ** (np.arange(0, half, dtype=np.float64) * 2.0 / config.head_dim))
    scaling = config.rope_scaling
    if not scaling:
        return inv_freq.astype(np.float32)
    rope_type = scaling.get("rope_type", scaling.get("type"))
    if rope_type in (None, "default"):
        return inv_freq.astype(np.float32)
    if rope_type != "llama3":
        raise ValueError(f"unsupported rope_scaling type {rope_type!r}; supported: 'llama3' (or none)")
    factor = float(scaling["factor"])
    low_freq_factor = float(scaling["low_freq_factor"])
    high_freq_factor = float(scaling["high_freq_factor"])
    original_context = float(scaling["original_max_position_embeddings"])
    wavelength = 2.0 * math.pi / inv_freq
    low_freq_wavelength = original_context / low_freq_factor
    high_freq_wavelength = original_context / high_freq_factor
    # Long wavelengths are slowed by `factor`, short ones kept, and the band in between
    # interpolated linearly in 1/wavelength (Llama 3.1's published recipe).
    scaled = np.where(wavelength > low_freq_wavelength, inv_freq / factor, inv_freq)
    smooth = (original_context / wavelength - low_freq_factor) / (high_freq_factor - low_freq_factor)
    interpolated = (1.0 - smooth) * scaled / factor + smooth * scaled
    in_band = (wavelength >= high_freq_wavelength) & (wavelength <= low_freq_wavelength)
    return np.where(in_band, interpolated, scaled).astype(np.float32)


def apply_rotary(x: jnp.ndarray, positions: jnp.ndarray, inv_freq: np.ndarray) -> jnp.ndarray:
    """Rotate `x` [batch, time, heads, head_dim] by angles positions[batch, time] * inv_freq."""
    angles = positions.astype(jnp.float32)[:, :, None] * jnp.asarray(inv_freq)[None, None, :]
    cos = jnp.cos(angles)[:, :, None, :]
    sin = jnp.sin(angles)[:, :, None, :]
    x32 = x.astype(jnp.float32)
    first, second = jnp.split(x32, 2, axis=-1)
    rotated = jnp.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)
    return rotated.astype(x.dtype)
