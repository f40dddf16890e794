"""Embedding on a Ray cluster: the Embedder protocol over a pool of Ray actors (``pgvsearch[ray]``).

Each actor loads the collection's model once (from its name, precision and cache folder,
never a pickled model) and embeds whole batches with it: a batch is one ``embed`` call, as
in a local ingest, so the vectors are the same. Calls are spread round-robin; ``concurrency``
tells the ingest pipeline how many batches to keep in flight. A batch whose actor dies is
sent again to another actor (a dead one is replaced); when no actor can take it, the
cluster is gone and :class:`~pgvsearch.errors.ClusterError` ends the run (the batches
already committed stay, the next run embeds the rest). ray is imported here only, by
:func:`ray_embedder`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ClusterError, EmbeddingError, UsageError
from .protocol import check_texts

if TYPE_CHECKING:
    import numpy as np
    import tokenizers

    from .protocol import Embedder

# Seconds one batch may take on one actor before it is sent to another (a batch of 256 chunks
# takes about 3 s on one core; an actor waiting for a CPU the cluster no longer has never starts).
BATCH_TIMEOUT = 300.0
EXTRA_HINT = "install it with: pip install 'pgvsearch[ray]'"


class _Worker:
    """One Ray actor's state: the model, loaded once when the actor starts."""

    def __init__(self, model: str, cache_dir: str, backend: str, precision: str) -> None:
        from .loader import load_embedder

        self.embedder = load_embedder(model, cache_dir=Path(cache_dir), backend=backend, precision=precision)

    def embed(self, texts: list[str], batch_size: int) -> Any:
        """The vectors, or the model's refusal as a string (raised again as EmbeddingError by the caller)."""
        try:
            return self.embedder.embed(texts, batch_size=batch_size)
        except EmbeddingError as exc:
            return str(exc)

    def pid(self) -> int:
        return os.getpid()


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise UsageError(f"--ray needs the optional Ray extra, which is not installed ({exc}); {EXTRA_HINT}") from None
    return ray


class RayEmbedder:
    """Embeds with ``workers`` Ray actors; tokenizing and token counting (the chunker's) stay local."""

    def __init__(self, local: "Embedder", *, cache_dir: Path, workers: int, cpus_per_worker: float = 1.0) -> None:
        self._ray = import_ray()
        self._local = local
        self.model_name, self.dimension, self.max_seq_length = local.model_name, local.dimension, local.max_seq_length
        self.backend, self.precision = local.backend, local.precision
        self.concurrency = workers
        self._spec = (local.model_name, str(cache_dir), local.backend, local.precision)
        # Ray does not restart an actor itself (max_restarts=0): a restarting actor would keep its
        # CPU while a replacement waits for one; the pool starts the replacement.
        self._actor_class = self._ray.remote(num_cpus=cpus_per_worker, max_restarts=0)(_Worker)
        self._lock = threading.Lock()
        self._next = 0
        self.replaced = 0  # actors started again after their predecessor died (the report's note)
        self.actors: list[Any] = [self._start() for _ in range(workers)]
        self._wait_ready()

    def _start(self) -> Any:
        return self._actor_class.remote(*self._spec)

    def _wait_ready(self) -> None:
        """Every actor has loaded its model (a model that cannot load fails here, not mid-ingest)."""
        ray = self._ray
        try:
            ray.get([a.pid.remote() for a in self.actors])
        except ray.exceptions.RayActorError as exc:
            raise ClusterError(f"the Ray workers could not load model {self.model_name!r}: {_first_line(exc)}") from exc

    def tokenizer(self) -> "tokenizers.Tokenizer":
        return self._local.tokenizer()  # type: ignore[attr-defined, no-any-return]

    def count_tokens(self, text: str) -> int:
        return self._local.count_tokens(text)

    def _pick(self) -> tuple[int, Any]:
        with self._lock:
            slot = self._next % len(self.actors)
            self._next += 1
            return slot, self.actors[slot]

    def _replace(self, slot: int, dead: Any) -> None:
        """A new actor in ``slot`` unless another thread has already replaced ``dead``."""
        with self._lock:
            if self.actors[slot] is dead:
                self._ray.kill(dead, no_restart=True)
                self.actors[slot] = self._start()
                self.replaced += 1

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> "np.ndarray":
        """One batch on one actor; on a dead actor, the same batch again on the next (2 tries per worker)."""
        texts = check_texts(texts, batch_size)
        ray = self._ray
        lost = (ray.exceptions.RayActorError, ray.exceptions.ActorUnavailableError, ray.exceptions.ObjectLostError)
        last: BaseException | None = None
        for _ in range(2 * len(self.actors) + 1):
            slot, actor = self._pick()
            try:
                result = ray.get(actor.embed.remote(texts, batch_size), timeout=BATCH_TIMEOUT)
            except (*lost, ray.exceptions.GetTimeoutError) as exc:
                last = exc
                try:
                    self._replace(slot, actor)
                except Exception as start_failed:  # the cluster itself is gone
                    raise ClusterError(f"the Ray cluster stopped answering: {_first_line(start_failed)}") from start_failed
                continue
            except ray.exceptions.RaySystemError as exc:
                raise ClusterError(f"the Ray cluster stopped answering: {_first_line(exc)}") from exc
            if isinstance(result, str):
                raise EmbeddingError(result)
            return result  # type: ignore[no-any-return]
        raise ClusterError(f"no Ray worker could embed a batch ({_first_line(last)}); the cluster is lost")

    def close(self) -> None:
        """Stop the actors and leave the cluster (a local one stops with it)."""
        ray = self._ray
        for actor in self.actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:
                pass
        ray.shutdown()


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def ray_embedder(local: "Embedder", address: str, *, cache_dir: Path, workers: int | None = None) -> RayEmbedder:
    """Connect to the cluster (``auto``: ``RAY_ADDRESS``'s, or a running local one; ``local``: start
    one in this process; else ``host:port`` or ``ray://host:port``) and start its embedding actors:
    ``workers`` of them, one CPU each [default: the cluster's CPUs]."""
    ray = import_ray()
    if workers is not None and workers < 1:
        raise UsageError("--ray-workers must be at least 1")
    if address not in ("local", "auto") and os.path.exists(address):
        raise UsageError(f"--ray takes a cluster address (local, auto, HOST:PORT), not a path: {address!r}")
    options: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        if address == "local":
            # Batches are ~0.4 MB of vectors: a small object store leaves the machine's memory alone.
            ray.init(num_cpus=workers, object_store_memory=256 * 2**20, **options)
        else:
            if address == "auto" and not os.environ.get("RAY_ADDRESS"):
                raise UsageError("--ray auto connects to the cluster in RAY_ADDRESS, which is not set (or give --ray HOST:PORT, or --ray alone for a local one)")
            ray.init(address=address, **options)
    except UsageError:
        raise
    except Exception as exc:
        raise ClusterError(f"cannot connect to the Ray cluster at {address}: {_first_line(exc)}") from exc
    try:
        count = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        return RayEmbedder(local, cache_dir=cache_dir, workers=count)
    except BaseException:
        ray.shutdown()
        raise
