"""ask: the answer (streamed as it arrives), then a table of the sources it cites."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Callable

from .formats import console

if TYPE_CHECKING:
    from ..ask import Answer

_CONTROL_CHARS = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")
_CONTROL_CHARS[127] = None


def answer_writer(out: IO[str] | None = None) -> Callable[[str], None]:
    """A callback writing each piece of an answer as it arrives (control characters, such as
    terminal escapes a document could smuggle into a model's output, are dropped)."""
    stream = out or sys.stdout

    def write(piece: str) -> None:
        stream.write(piece.translate(_CONTROL_CHARS))
        stream.flush()

    return write


def print_answer(answer: "Answer", *, written: bool = False, fusion: str = "rrf", out: IO[str] | None = None) -> None:
    """The answer (unless ``written`` already, e.g. streamed) and a table of the sources it cites."""
    from rich.markup import escape
    from rich.table import Table

    out = out or sys.stdout
    if not written:
        answer_writer(out)(answer.answer)
    out.write("\n" if answer.answer.endswith("\n") else "\n\n")
    out.flush()
    if not answer.sources:
        return
    title = "cited sources" if answer.mode == "llm" else "sources of these sentences"
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right", style="bold")
    table.add_column("document", style="cyan", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    table.add_column("chunk", justify="right")
    table.add_column(f"{fusion.upper()} score", justify="right")
    for source in answer.sources:
        title_text = "" if source.title == source.doc_id else source.title
        first, last = source.chunks
        chunk = str(source.chunk) if first == last else f"{first}–{last}"
        table.add_row(f"\\[{source.n}]", escape(source.doc_id), escape(title_text), chunk, f"{source.score:.4f}")
    console(out).print(table)
