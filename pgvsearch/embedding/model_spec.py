"""Inspecting a loaded sentence-transformers model: can it be served through ONNX, and with what.

Only Transformer -> Pooling -> (Normalize) models are exported (the Pooling and Normalize steps
are redone in numpy); anything else raises :class:`CannotExport`, and ``backend="auto"`` falls
back to sentence-transformers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .pooling import POOLING_MODES
from .support import CannotExport
from .torch_backend import st_dimension, st_max_seq_length

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    from sentence_transformers import SentenceTransformer

_LEGACY_POOLING_FLAGS: tuple[tuple[str, str], ...] = (
    ("pooling_mode_cls_token", "cls"),
    ("pooling_mode_max_tokens", "max"),
    ("pooling_mode_mean_tokens", "mean"),
    ("pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens"),
    ("pooling_mode_weightedmean_tokens", "weightedmean"),
    ("pooling_mode_lasttoken", "lasttoken"),
)


@dataclass(frozen=True)
class ExportSpec:
    """What the export and the ONNX embedder need to know about a model (goes into the manifest)."""

    pooling_mode: str | tuple[str, ...]
    normalize: bool
    dimension: int
    max_seq_length: int
    input_names: tuple[str, ...]
    pad_token_id: int
    padding_side: str
    truncation_side: str


def _is_st_module(module: object, class_name: str) -> bool:
    cls = type(module)
    return cls.__name__ == class_name and cls.__module__.startswith("sentence_transformers")


def _pooling_mode_of(pooling: object) -> str | tuple[str, ...]:
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode
    if isinstance(mode, (tuple, list)) and mode:
        return tuple(str(m) for m in mode) if len(mode) > 1 else str(mode[0])
    # Older sentence-transformers: one boolean attribute per mode.
    active = tuple(name for flag, name in _LEGACY_POOLING_FLAGS if getattr(pooling, flag, False))
    if not active:
        raise CannotExport("cannot export: unable to read the Pooling module's mode")
    return active if len(active) > 1 else active[0]


def _check_structure(model: str, st_model: SentenceTransformer, modules: list[Any]) -> None:
    """Raise CannotExport unless the model is Transformer -> Pooling -> (Normalize) on plain text."""
    names = [type(m).__name__ for m in modules]
    if (
        len(modules) not in (2, 3)
        or not _is_st_module(modules[0], "Transformer")
        or not _is_st_module(modules[1], "Pooling")
        or (len(modules) == 3 and not _is_st_module(modules[2], "Normalize"))
    ):
        raise CannotExport(
            f"cannot export {model!r} to ONNX: only Transformer -> Pooling -> (Normalize) models are "
            f"supported, this one is {' -> '.join(names)}",
            st_model,
        )
    transformer = modules[0]
    if getattr(st_model, "default_prompt_name", None):
        raise CannotExport(f"cannot export {model!r}: it applies a default prompt", st_model)
    if getattr(st_model, "truncate_dim", None) is not None:
        raise CannotExport(f"cannot export {model!r}: it truncates embeddings (truncate_dim)", st_model)
    task = getattr(transformer, "transformer_task", "feature-extraction")
    if task not in (None, "feature-extraction"):
        raise CannotExport(f"cannot export {model!r}: transformer task {task!r} is not supported", st_model)
    modality = getattr(transformer, "modality_config", None)
    if isinstance(modality, dict):
        text = modality.get("text")
        if not isinstance(text, dict) or text.get("method") != "forward" or text.get(
            "method_output_name"
        ) not in ("last_hidden_state", ("last_hidden_state",), ["last_hidden_state"]):
            raise CannotExport(
                f"cannot export {model!r}: its text input does not map to forward().last_hidden_state",
                st_model,
            )


def _input_names(model: str, st_model: SentenceTransformer, transformer: Any) -> tuple[str, ...]:
    """The graph's inputs: input_ids, attention_mask, and token_type_ids when model and tokenizer use them."""
    import inspect

    params = set(inspect.signature(transformer.auto_model.forward).parameters)
    input_names = ["input_ids", "attention_mask"]
    if "token_type_ids" in params and "token_type_ids" in getattr(transformer.tokenizer, "model_input_names", ()):
        input_names.append("token_type_ids")
    if not {"input_ids", "attention_mask"} <= params:
        raise CannotExport(f"cannot export {model!r}: its forward() does not take input_ids/attention_mask", st_model)
    return tuple(input_names)


def inspect_model(model: str, st_model: SentenceTransformer) -> ExportSpec:
    """Check the model is Transformer -> Pooling -> (Normalize) and read what the export needs."""
    modules: list[Any] = list(st_model)
    _check_structure(model, st_model, modules)
    transformer, pooling = modules[0], modules[1]
    hf_tokenizer = getattr(transformer, "tokenizer", None)
    if getattr(hf_tokenizer, "backend_tokenizer", None) is None:
        raise CannotExport(f"cannot export {model!r}: it has no fast (tokenizers) tokenizer", st_model)
    mode = _pooling_mode_of(pooling)
    modes = (mode,) if isinstance(mode, str) else mode
    unsupported = [m for m in modes if m not in POOLING_MODES]
    if unsupported:
        raise CannotExport(f"cannot export {model!r}: pooling mode(s) {unsupported} not supported", st_model)
    dimension = st_dimension(st_model)
    if dimension is None:
        raise CannotExport(f"cannot export {model!r}: unknown embedding dimension", st_model)
    input_names = _input_names(model, st_model, transformer)
    pad_id = getattr(hf_tokenizer, "pad_token_id", None)
    return ExportSpec(
        pooling_mode=mode,
        normalize=len(modules) == 3,
        dimension=dimension,
        max_seq_length=st_max_seq_length(st_model),
        input_names=input_names,
        pad_token_id=int(pad_id) if pad_id is not None else 0,
        padding_side=str(getattr(hf_tokenizer, "padding_side", "right") or "right"),
        truncation_side=str(getattr(hf_tokenizer, "truncation_side", "right") or "right"),
    )
