"""The whole flow: retrieve passages, then answer with the model (streamed) or extractively,
and map the answer's [n] citations back to the passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .client import ChatClient
from .extractive import answer_extractively
from .llm import LLMConfig
from .passages import Passage
from .prompt import build_messages, cited_sources
from .retrieval import DEFAULT_CONTEXT_TOKENS, retrieve

if TYPE_CHECKING:
    import psycopg

    from ..embedding import Embedder
    from ..search import SearchOptions
    from ..store import Collection


@dataclass(frozen=True)
class Answer:
    answer: str
    sources: list[Passage]
    """The passages the answer cites, in order of first citation (all passages if it cites none)."""
    mode: str
    """``llm`` or ``extractive``."""
    model: str
    """The language model, or the embedding model in extractive mode."""
    passages: list[Passage] = field(default_factory=list)
    """Every passage that was given (or would have been given) to the model."""

    def to_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "sources": [p.to_dict() for p in self.sources], "mode": self.mode, "model": self.model}


def ask(
    conn: "psycopg.Connection[Any]",
    coll: "Collection",
    embedder: "Embedder",
    question: str,
    options: "SearchOptions | None" = None,
    llm: LLMConfig | None = None,
    *,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    on_token: Callable[[str], None] | None = None,
    client: ChatClient | None = None,
) -> Answer:
    """Answer ``question`` from the collection, citing passages as [n].

    With ``llm`` (or ``client``) the answer is generated and streamed to ``on_token`` piece by
    piece as it arrives; without, it is the best-matching sentences (and code block) of the
    passages, given to ``on_token`` in one piece, its citations numbered in order of first use
    and ``passages`` renumbered to match.
    """
    passages = retrieve(conn, coll, embedder, question, options, context_tokens=context_tokens)
    if client is None and llm is not None:
        client = ChatClient(llm)
    mode, model = ("extractive", embedder.model_name) if client is None else ("llm", client.config.model)
    if client is not None and passages:
        text = client.complete(build_messages(question, passages), on_token)
        return Answer(answer=text, sources=cited_sources(text, passages), mode=mode, model=model, passages=passages)
    if not passages:
        text, sources = f"No passages in collection {coll.name!r} match the question, so there is nothing to answer from.", []
    else:
        # Cited in order of first use: the passages are renumbered so that [n] still names passage n.
        text, sources, passages = answer_extractively(question, passages, embedder)
    if on_token:
        on_token(text)
    return Answer(answer=text, sources=sources, mode=mode, model=model, passages=passages)


# `pgvsearch.ask` names this package, so the top-level package exports the function by this name.
ask_question = ask
