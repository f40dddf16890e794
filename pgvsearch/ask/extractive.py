"""Extractive answers, when no language model is configured: the passages' sentences closest
to the question (cosine, with the collection's embedder), each with its citation, and the
best-matching code block when the question asks how (or a chosen sentence introduces one).

What is never quoted: headings (see :mod:`.sentences`), questions (the docs' own rhetorical
``So how do you register that blueprint?``) and sentences that restate the question. Citations
are numbered in order of first use, and the passages are renumbered to match.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Sequence

from .passages import Passage
from .sentences import CODE, Unit, clean, read_units

if TYPE_CHECKING:
    from ..embedding import Embedder

EXTRACTIVE_SENTENCES = 3
MIN_CODE_SCORE = 0.45
"""A code block is shown only when its cosine to the question plus its weighted word overlap reaches this."""
RESTATES = 0.6
"""A sentence whose content words overlap the question's this much (Jaccard) only restates it."""
CODE_LABEL = "Example:"
"""The line before a code block whose own introduction cannot be quoted (a question, "Like this:")."""

OVERLAP_WEIGHT = 0.5
"""How much a code block's share of the question's words (``register`` in ``register_blueprint``) adds to its cosine."""

# Questions whose answer may be code or steps: how to do something, which command, an example.
_WANTS_CODE_RE = re.compile(
    r"^\W*(how\s+(do|does|can|could|should|would|to|is|are)\b|which\b|show\b)"
    r"|\b(example|command|code|snippet|syntax|looks? like|import|install|run|configure|set up)\b", re.IGNORECASE)
_WORD_RE = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    "a an the and or of to in on for with by at from as is are was were be been do does did i you we my your our it "
    "this that these those how what which who why when where can could should would will shall may might must "
    "not no so if then than there here me us they them their its into about up out get use using".split())


class ExtractiveAnswer(NamedTuple):
    text: str
    sources: list[Passage]
    """The cited passages, numbered [1], [2] ... in order of first citation."""
    passages: list[Passage]
    """Every passage, renumbered: the cited ones first, then the others in rank order."""


@dataclass(frozen=True)
class _Quote:
    passage: int
    """Index of the passage (in rank order) the unit comes from."""
    order: int
    """Position of the unit in its passage's reading order."""
    unit: Unit
    score: float = 0.0
    introduces: bool = False
    """The unit right after it is a code block (a sentence ending in ':' that introduces it)."""


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, crudely stemmed (``registered`` -> ``register``)."""
    words = set()
    for word in _WORD_RE.findall(text.lower()):
        if word in _STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        words.add(word)
    return words


def restates(text: str, question: str) -> bool:
    said, asked = content_words(text), content_words(question)
    return bool(said and asked) and len(said & asked) / len(said | asked) >= RESTATES


def _overlap(question: str, text: str) -> float:
    """The share of the question's content words found in ``text`` (``register`` in ``register_blueprint``)."""
    asked, lowered = content_words(question), text.lower()
    return sum(word in lowered for word in asked) / len(asked) if asked else 0.0


def _quotes(question: str, passages: Sequence[Passage]) -> tuple[list[_Quote], list[_Quote]]:
    """Sentences worth quoting and code blocks, each once, in passage rank and reading order."""
    sentences: list[_Quote] = []
    blocks: list[_Quote] = []
    seen: set[str] = set()
    for p, passage in enumerate(passages):
        units = read_units(passage.text, passage.headings)
        for order, unit in enumerate(units):
            key = unit.text.lower()
            if key in seen:
                continue
            seen.add(key)
            if unit.kind == CODE:
                blocks.append(_Quote(p, order, unit))
            elif unit.quotable and not unit.asks and not restates(unit.text, question):
                introduces = order + 1 < len(units) and units[order + 1].kind == CODE
                sentences.append(_Quote(p, order, unit, introduces=introduces))
    return sentences, blocks


def _scored(question: str, sentences: list[_Quote], blocks: list[_Quote], embedder: "Embedder") -> tuple[list[_Quote], list[_Quote]]:
    import numpy as np

    texts = [question] + [q.unit.text for q in sentences] + [f"{q.unit.intro}\n{q.unit.text}".strip() for q in blocks]
    placed = [f"{q.unit.section}: {q.unit.text}" if q.unit.section else q.unit.text for q in sentences]
    vectors = np.asarray(embedder.embed(texts + placed))
    cosines = [float(c) for c in vectors[1:] @ vectors[0]]
    in_section = cosines[len(texts) - 1:]
    # A sentence is scored alone and in its section ("Pending authorizations drop off in 3-5
    # business days: Your bank releases it automatically ..."): the title often says what it answers.
    scored = [dataclasses.replace(q, score=(c + s) / 2) for q, c, s in zip(sentences, cosines, in_section)]
    code = [dataclasses.replace(q, score=c + OVERLAP_WEIGHT * _overlap(question, f"{q.unit.intro} {q.unit.text}"))
            for q, c in zip(blocks, cosines[len(sentences):])]
    return scored, code


def _choose(question: str, sentences: list[_Quote], blocks: list[_Quote], count: int) -> list[_Quote]:
    """The best sentences and, when the answer is code, the best code block, in passage rank and reading order.

    A sentence that introduces a code block is quoted only with that block.
    """
    ranked = sorted(sentences, key=lambda q: (-q.score, q.passage, q.order))
    code = max(blocks, key=lambda q: (q.score, -q.passage, -q.order), default=None)
    introduced = {(q.passage, q.order + 1) for q in ranked[:count] if q.introduces}
    if code is None or code.score < MIN_CODE_SCORE or not (
            _WANTS_CODE_RE.search(question) or (code.passage, code.order) in introduced):
        code = None
    intro = next((q for q in sentences if code and (q.passage, q.order) == (code.passage, code.order - 1)), None)
    best = [q for q in ranked if not q.introduces and q is not intro][: count - 1 if code else count]
    chosen = best + [q for q in (code, intro) if q is not None]
    return sorted(chosen, key=lambda q: (q.passage, q.order))


def _fenced(unit: Unit) -> str:
    longest = max((len(run) for run in re.findall(r"`+", unit.text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{unit.lang}\n{unit.text}\n{fence}"


def _render(chosen: Sequence[_Quote], numbers: dict[int, int]) -> str:
    lines: list[str] = []
    shown: set[tuple[int, int]] = set()
    for q in chosen:
        n = numbers[q.passage]
        if q.unit.kind == CODE:
            if (q.passage, q.order - 1) not in shown:
                lines.append(f"{CODE_LABEL} [{n}]")
            lines.append(_fenced(q.unit))
        else:
            lines.append(f"{q.unit.text} [{n}]")
        shown.add((q.passage, q.order))
    return "\n".join(lines)


def answer_extractively(question: str, passages: Sequence[Passage], embedder: "Embedder", count: int = EXTRACTIVE_SENTENCES) -> ExtractiveAnswer:
    """The ``count`` passage sentences most similar to the question (cosine), each followed by
    its citation, kept in passage rank and reading order; with a code block when the answer is
    code. Citations are numbered in order of first use, the passages renumbered to match."""
    sentences, blocks = _quotes(question, passages)
    if not sentences and not blocks:
        text = "\n".join(f"{clean(p.text)[:300]} [{p.n}]" for p in passages[:1])
        return ExtractiveAnswer(text, list(passages[:1]), list(passages))
    chosen = _choose(question, *_scored(question, sentences, blocks, embedder), count)
    used = list(dict.fromkeys(q.passage for q in chosen))
    order = used + [p for p in range(len(passages)) if p not in used]
    numbers = {p: n for n, p in enumerate(order, start=1)}
    renumbered = [dataclasses.replace(passages[p], n=numbers[p]) for p in order]
    return ExtractiveAnswer(_render(chosen, numbers), renumbered[: len(used)], renumbered)


def extractive_answer(question: str, passages: Sequence[Passage], embedder: "Embedder", count: int = EXTRACTIVE_SENTENCES) -> str:
    """The text of :func:`answer_extractively`: its [n] are the renumbered passages' numbers."""
    return answer_extractively(question, passages, embedder, count).text
