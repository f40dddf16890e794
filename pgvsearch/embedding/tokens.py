"""A model's Hugging Face fast tokenizer, kept as its JSON: fresh copies for callers (the
chunker's fast path) and one counter built on first use (queries never need it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only, never imported at run time
    import tokenizers


def fresh_tokenizer(tokenizer_json: str) -> tokenizers.Tokenizer:
    """A new tokenizer from ``tokenizer_json`` with truncation and padding disabled."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tokenizer_json)
    tok.no_truncation()
    tok.no_padding()
    return tok


class TokenizerJson:
    """What a backend with a fast tokenizer needs for ``tokenizer()`` and ``count_tokens()``."""

    def __init__(self, tokenizer_json: str, *, build_counter: bool = False) -> None:
        self.json: str = tokenizer_json
        self._counter: tokenizers.Tokenizer | None = fresh_tokenizer(tokenizer_json) if build_counter else None

    def fresh(self) -> tokenizers.Tokenizer:
        """The caller's own copy, untruncated and unpadded."""
        return fresh_tokenizer(self.json)

    def count(self, text: str) -> int:
        """Tokens of ``text`` without special tokens, untruncated."""
        if self._counter is None:
            self._counter = fresh_tokenizer(self.json)
        return len(self._counter.encode(text, add_special_tokens=False).ids)
