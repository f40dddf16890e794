"""--device cpu|cuda|auto: which onnxruntime execution providers the embedder asks for, how the
setting resolves, what happens when CUDA is asked for and absent, and (where CUDA exists) that
CUDA's vectors are the CPU's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pgvsearch.config import resolve_device, resolve_settings
from pgvsearch.embedding import DEFAULT_MODEL, load_embedder
from pgvsearch.embedding.devices import CPU, CUDA, DeviceUnavailable, execution_providers
from pgvsearch.errors import ConfigError, ExitCode, UsageError
from conftest import run_cli

CPU_ONLY = ["AzureExecutionProvider", CPU]
WITH_CUDA = ["TensorrtExecutionProvider", CUDA, CPU]


def test_cpu_is_the_cpu_whatever_is_installed() -> None:
    assert execution_providers("cpu", WITH_CUDA) == (CPU,)
    assert execution_providers("cpu", CPU_ONLY) == (CPU,)


def test_cuda_runs_on_cuda_with_the_cpu_behind_it() -> None:
    assert execution_providers("cuda", WITH_CUDA) == (CUDA, CPU)


def test_cuda_without_the_cuda_provider_is_one_clear_configuration_error() -> None:
    with pytest.raises(DeviceUnavailable, match="onnxruntime-gpu") as caught:
        execution_providers("cuda", CPU_ONLY)
    assert caught.value.exit_code == ExitCode.CONFIG
    assert "\n" not in str(caught.value)


def test_auto_takes_cuda_when_offered_else_the_cpu() -> None:
    assert execution_providers("auto", WITH_CUDA) == (CUDA, CPU)
    assert execution_providers("auto", CPU_ONLY) == (CPU,)


def test_device_precedence_and_bad_values() -> None:
    assert resolve_device(None, {}, {}) == "cpu"
    assert resolve_device(None, {}, {"device": "auto"}) == "auto"
    assert resolve_device(None, {"PGVSEARCH_DEVICE": "CUDA"}, {"device": "auto"}) == "cuda"
    assert resolve_device("cpu", {"PGVSEARCH_DEVICE": "cuda"}, {"device": "auto"}) == "cpu"
    with pytest.raises(UsageError):
        resolve_device("gpu", {}, {})
    with pytest.raises(ConfigError):
        resolve_device(None, {"PGVSEARCH_DEVICE": "gpu"}, {})
    with pytest.raises(ConfigError):
        resolve_device(None, {}, {"device": "tpu"})


def test_config_file_device_reaches_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('device = "auto"\n', encoding="utf-8")
    monkeypatch.setenv("PGVSEARCH_CONFIG", str(config))
    monkeypatch.delenv("PGVSEARCH_DEVICE", raising=False)
    assert resolve_settings().device == "auto"
    assert resolve_settings(device="cpu").device == "cpu"


def test_auto_on_a_cpu_only_onnxruntime_loads_on_the_cpu(settings: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: list(CPU_ONLY))
    auto = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, backend="onnx", device="auto")
    assert auto.device == "cpu" and auto.providers == (CPU,)


def test_cuda_asked_and_absent_fails_without_touching_the_cache(settings: Any, embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    before = sorted(p.name for p in Path(settings.model_cache).iterdir())
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: list(CPU_ONLY))
    with pytest.raises(DeviceUnavailable):
        load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, device="cuda")
    assert sorted(p.name for p in Path(settings.model_cache).iterdir()) == before  # not moved aside as unreadable


def test_cli_cuda_unavailable_is_one_line_and_exit_4(sample_collection: Any) -> None:
    import onnxruntime

    if CUDA in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime offers CUDA")
    result = run_cli("search", "refund", "-c", sample_collection.name, "--device", "cuda", "--format", "json")
    assert result.returncode == ExitCode.CONFIG, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--device cuda" in lines[0] and "onnxruntime-gpu" in lines[0]
    # keyword search needs no model: the device is never asked for.
    ok = run_cli("keyword", "refund", "-c", sample_collection.name, "--format", "json", env={"PGVSEARCH_DEVICE": "auto"})
    assert ok.returncode == 0 and [json.loads(line) for line in ok.stdout.splitlines()]


def test_cli_bad_device_is_a_usage_error() -> None:
    result = run_cli("search", "refund", "--device", "gpu")
    assert result.returncode == ExitCode.USAGE
    assert "--device" in result.stderr


@pytest.mark.skipif("CUDAExecutionProvider" not in __import__("onnxruntime").get_available_providers(),
                    reason="onnxruntime offers no CUDAExecutionProvider (install onnxruntime-gpu on a CUDA machine)")
def test_cuda_vectors_match_the_cpu(settings: Any, embedder: Any) -> None:
    texts = ["How do I get a refund for a duplicate charge?", "boundary-layer transition at supersonic speeds",
             "a" * 50, "The quick brown fox jumps over the lazy dog. " * 20]
    cpu = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, backend="onnx", device="cpu")
    cuda = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, backend="onnx", device="cuda")
    assert cuda.device == "cuda" and cuda.providers[0] == CUDA
    on_cpu, on_cuda = cpu.embed(texts), cuda.embed(texts)
    cosines = np.sum(on_cpu * on_cuda, axis=1)  # both normalized
    assert cosines.min() >= 0.999, cosines
