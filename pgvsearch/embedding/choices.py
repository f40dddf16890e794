"""The embedding choices other rooms name, and their one check (light: no numpy, no runtime)."""

from __future__ import annotations

from ..config import DEVICES  # where the ONNX model runs (pgvsearch.embedding.devices)
from ..errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS: tuple[str, ...] = ("auto", "onnx", "torch")
PRECISIONS: tuple[str, ...] = ("fp32", "int8")
"""Precisions of a collection's document embeddings: fp32, or int8 (the quantized ONNX model)."""


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise ConfigError unless ``value`` is one of ``allowed`` (``name`` says which choice)."""
    if value not in allowed:
        raise ConfigError(f"unknown embedding {name} {value!r}; expected one of: {', '.join(allowed)}")


def check_precision_name(precision: str) -> None:
    """Raise ConfigError unless ``precision`` is one of PRECISIONS."""
    check_choice("precision", precision, PRECISIONS)


def check_backend_name(backend: str) -> None:
    """Raise ConfigError unless ``backend`` is one of BACKENDS."""
    check_choice("backend", backend, BACKENDS)


def check_device_name(device: str) -> None:
    """Raise ConfigError unless ``device`` is one of DEVICES."""
    check_choice("device", device, DEVICES)
