"""What the MCP tools return: the output schemas an agent reads.

A hit is ``Hit.to_dict()``, field for field what ``pgvsearch search --format json`` prints
(extra fields a later version adds pass through); an answer is ``Answer.to_dict()``.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field



def _note() -> Any:
    return Field(default=None, description="Set when something was adjusted or left out, e.g. a capped k.")


class HitResult(BaseModel):
    """One document found, shown through its best chunk (as `--format json` prints a hit)."""

    model_config = ConfigDict(extra="allow")

    rank: int = Field(description="1 = best.")
    doc_id: str = Field(description="The document's id: its path relative to the folder ingested, or a JSON Lines record's _id.")
    title: str
    source: str = Field(description="Where the document came from (path, or path#Lline for a record).")
    chunk: int = Field(description="Position of the chunk shown (0 = first); get_document(doc_id, chunk) reads around it.")
    text: str = Field(description="The chunk's text.")
    score: float = Field(description="The ranking's score: cosine similarity, BM25, or the fused score.")
    semantic_rank: Optional[int] = Field(description="Rank in the semantic ranking (None: not in it).")
    keyword_rank: Optional[int] = Field(description="Rank in the keyword ranking (None: not in it).")
    similarity: Optional[float] = Field(description="Cosine similarity of the chunk to the query.")
    bm25: Optional[float] = Field(description="The document's BM25 score for the query.")
    metadata: dict[str, Any]


class SearchResult(BaseModel):
    collection: str
    mode: str = Field(description="semantic, keyword or hybrid.")
    query: str
    k: int = Field(description="The number of documents asked for (after any cap).")
    hits: list[HitResult]
    note: Optional[str] = _note()


class Source(BaseModel):
    """A passage the answer cites as [n]."""

    model_config = ConfigDict(extra="allow")

    n: int
    doc_id: str
    title: str
    source: str
    chunk: int = Field(description="The chunk that ranked; the passage may include its neighbours (chunks).")
    chunks: list[int]
    score: float
    text: str


class AskResult(BaseModel):
    collection: str
    answer: str
    sources: list[Source] = Field(description="The passages the answer cites, numbered as cited.")
    mode: str = Field(description="llm (a language model wrote it) or extractive (the best-matching sentences).")
    model: str
    note: Optional[str] = _note()


class DocumentResult(BaseModel):
    collection: str
    doc_id: str
    title: str
    source: str
    metadata: dict[str, Any]
    chunk_count: int = Field(description="Chunks in the whole document (positions 0 .. chunk_count - 1).")
    first_chunk: Optional[int] = Field(description="First chunk position in text.")
    last_chunk: Optional[int] = Field(description="Last chunk position in text.")
    complete: bool = Field(description="Whether text is the whole document.")
    text: str
    note: Optional[str] = _note()


class StatusResult(BaseModel):
    """What `pgvsearch status --format json` shows."""

    model_config = ConfigDict(extra="allow")

    collection: str
    model: str
    dimension: int
    documents: int
    chunks: int
    last_update: Optional[str]
    answers: str = Field(description="How ask answers: with which language model, or extractively.")


class CollectionInfo(BaseModel):
    name: str
    model: str
    dimension: int
    storage: str
    precision: str
    chunk_tokens: int
    text_config: str
    created_at: Optional[str]


class CollectionsResult(BaseModel):
    default: str = Field(description="The collection a call reads when it names none.")
    fixed: bool = Field(description="True when the server was started for that one collection.")
    collections: list[CollectionInfo]
