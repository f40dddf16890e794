"""The embedding choices other rooms name (light: no numpy, no runtime)."""

from __future__ import annotations

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS: tuple[str, ...] = ("auto", "onnx", "torch")
PRECISIONS: tuple[str, ...] = ("fp32", "int8")
"""Precisions of a collection's document embeddings: fp32, or int8 (the quantized ONNX model)."""
