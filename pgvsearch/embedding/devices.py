"""Where the ONNX embedder runs: ``--device cpu|cuda|auto`` -> onnxruntime execution providers.

CUDA needs the ``onnxruntime-gpu`` package (``pip install 'pgvsearch[gpu]'``) in place of
``onnxruntime``, and the CUDA and cuDNN libraries it was built for. Light: onnxruntime is imported
only by :func:`available_providers`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"


class DeviceUnavailable(ConfigError):
    """``--device cuda`` was asked for and onnxruntime cannot run on CUDA here (exit 4)."""


def available_providers() -> list[str]:
    """The execution providers this onnxruntime build offers."""
    import onnxruntime as ort

    return list(ort.get_available_providers())


def execution_providers(device: str, available: Sequence[str]) -> tuple[str, ...]:
    """The providers for an InferenceSession on ``device``, given what onnxruntime offers.

    cpu: the CPU only. cuda: CUDA with the CPU behind it (onnxruntime places the few operators
    CUDA lacks there); DeviceUnavailable when this onnxruntime has no CUDA provider. auto: CUDA
    when offered, else the CPU.
    """
    if device == "cpu":
        return (CPU,)
    if device not in ("cuda", "auto"):
        raise ConfigError(f"unknown embedding device {device!r}; expected one of: cpu, cuda, auto")
    if CUDA in available:
        return (CUDA, CPU)
    if device == "auto":
        return (CPU,)
    raise DeviceUnavailable(
        f"--device cuda: onnxruntime offers no CUDA here (it has {', '.join(available) or 'no providers'}); "
        "install onnxruntime-gpu in place of onnxruntime (pip install 'pgvsearch[gpu]') with CUDA and cuDNN, "
        "or use --device cpu"
    )


def device_of(providers: Sequence[str]) -> str:
    """cuda or cpu: where a session with these providers (as it reports them) runs its model."""
    return "cuda" if providers and providers[0] == CUDA else "cpu"
