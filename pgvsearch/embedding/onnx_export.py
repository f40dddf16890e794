"""torch -> ONNX: trace a sentence-transformers model's transformer into a graph returning its
token embeddings, with whichever of torch's exporters gives a graph that matches torch."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .model_spec import ExportSpec
from .support import CannotExport, describe

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import torch
    from sentence_transformers import SentenceTransformer

_EXPORT_MAX_ABS_DIFF = 1e-3  # token embeddings, ONNX vs torch


def torch_export(st_model: SentenceTransformer, spec: ExportSpec, onnx_path: Path) -> str:
    """Export the transformer to ``onnx_path``; returns a label of the exporter that worked.

    The model is traced with eager attention where it supports switching: the graph of plain
    MatMul/Softmax attention runs ~15% faster in onnxruntime (fp32 and int8) than the traced
    SDPA graph. The original attention implementation is restored afterwards, since the torch
    fallback may reuse this model.
    """
    transformer: Any = st_model[0]
    auto_model: Any = transformer.auto_model
    original = getattr(auto_model.config, "_attn_implementation", None)
    switched = False
    if original not in (None, "eager") and callable(getattr(auto_model, "set_attn_implementation", None)):
        try:
            auto_model.set_attn_implementation("eager")
            switched = True
        except Exception:  # noqa: BLE001 - keep the model's own attention implementation
            switched = False
    try:
        label = _trace_and_export(st_model, spec, onnx_path)
    finally:
        if switched:
            auto_model.set_attn_implementation(original)
    attention = "eager" if switched or original == "eager" else str(original)
    return f"{label} ({attention} attention)"


def _token_embeddings_module(auto_model: Any, input_names: list[str]) -> torch.nn.Module:
    """``auto_model`` as a module taking its inputs positionally and returning last_hidden_state."""
    import torch

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            kwargs = dict(zip(input_names, inputs, strict=True))
            hidden: torch.Tensor = self.inner(**kwargs, return_dict=True).last_hidden_state
            return hidden

    return _TokenEmbeddings(auto_model).eval()


def _example_batch(st_model: SentenceTransformer, spec: ExportSpec) -> Any:
    """A padded example batch: an all-ones mask can let transformers skip building the mask,
    which tracing would then bake into the graph."""
    hf_tokenizer: Any = st_model[0].tokenizer
    sample = hf_tokenizer(
        ["Short text.", "A somewhat longer example sentence, so that the first row gets padded."],
        padding=True,
        truncation=True,
        max_length=spec.max_seq_length,
        return_tensors="pt",
    )
    if bool(sample["attention_mask"].all()):  # pragma: no cover - the texts differ in length
        raise CannotExport("cannot export: example batch is unexpectedly unpadded", st_model)
    return sample


def _matches(onnx_path: Path, sample: Any, expected: np.ndarray) -> bool:
    """Whether the graph at ``onnx_path`` reproduces torch's token embeddings on ``sample``."""
    import onnxruntime as ort

    valid = sample["attention_mask"].numpy().astype(bool)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feeds = {i.name: sample[i.name].numpy() for i in session.get_inputs()}
    got = np.asarray(session.run(None, feeds)[0])
    return got.shape == expected.shape and float(np.abs(got - expected)[valid].max()) <= _EXPORT_MAX_ABS_DIFF


def _torchscript_exporter(wrapper: Any, example: tuple[Any, ...], onnx_path: Path, input_names: list[str]) -> None:
    import torch

    dynamic_axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    dynamic_axes["token_embeddings"] = {0: "batch", 1: "sequence"}
    torch.onnx.export(
        wrapper,
        example,
        str(onnx_path),
        input_names=input_names,
        output_names=["token_embeddings"],
        dynamic_axes=dynamic_axes,
        opset_version=17,
        do_constant_folding=True,
        dynamo=False,
    )


def _dynamo_exporter(wrapper: Any, example: tuple[Any, ...], onnx_path: Path, input_names: list[str]) -> None:
    import torch

    batch = torch.export.Dim("batch")
    sequence = torch.export.Dim("sequence")
    program = torch.onnx.export(
        wrapper,
        example,
        input_names=input_names,
        output_names=["token_embeddings"],
        dynamic_shapes=tuple({0: batch, 1: sequence} for _ in input_names),
        dynamo=True,
    )
    if program is None:
        raise RuntimeError("torch.onnx.export returned no program")
    n_bytes = sum(p.numel() * p.element_size() for p in wrapper.parameters())
    program.save(str(onnx_path), external_data=n_bytes > 1_800_000_000)


_Exporter = Callable[[Any, tuple[Any, ...], Path, list[str]], None]
_EXPORTERS: tuple[tuple[str, _Exporter], ...] = (
    ("torchscript", _torchscript_exporter),  # dynamo=False: fast
    ("dynamo", _dynamo_exporter),  # the torch.export-based one
)


def _trace_and_export(st_model: SentenceTransformer, spec: ExportSpec, onnx_path: Path) -> str:
    """Try the TorchScript exporter (``dynamo=False``: fast) then the torch.export-based one.

    Each result is checked against torch on a padded batch before it is accepted.
    """
    import torch

    input_names = list(spec.input_names)
    wrapper = _token_embeddings_module(st_model[0].auto_model.eval(), input_names)
    sample = _example_batch(st_model, spec)
    example = tuple(sample[name] for name in input_names)
    with torch.no_grad():
        expected = wrapper(*example).numpy()
    errors: list[str] = []
    for label, exporter in _EXPORTERS:
        for stale in onnx_path.parent.glob(onnx_path.name + "*"):
            stale.unlink()
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr), torch.no_grad():
                warnings.simplefilter("ignore")
                exporter(wrapper, example, onnx_path, input_names)
            if _matches(onnx_path, sample, expected):
                return label
            errors.append(f"{label}: output differs from torch")
        except Exception as exc:  # noqa: BLE001 - try the next exporter, report all failures
            errors.append(f"{label}: {describe(exc, 200)}")
    raise CannotExport(f"ONNX export failed ({'; '.join(errors)})", st_model)
