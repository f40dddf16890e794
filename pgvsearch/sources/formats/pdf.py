"""PDF: the text layer of every page (``pypdf``, imported lazily); encrypted or broken
files and files without a text layer are skipped with the reason. The title is the metadata
title unless that is a placeholder (``Untitled Document``), else the first page's heading
(:mod:`.pdf_title`), else (by the caller) the file name."""

from __future__ import annotations

import io
import math
from typing import Any

from ..document import Parsed, SkipInput
from ..reasons import short
from ..text import clean_text, clean_title, finish_text, normalize_newlines
from .pdf_title import pick_title


_pypdf_quieted = False


def _quiet_pypdf() -> None:
    global _pypdf_quieted
    if not _pypdf_quieted:
        import logging

        logging.getLogger("pypdf").setLevel(logging.CRITICAL)
        _pypdf_quieted = True


def parse(data: bytes) -> Parsed:
    import warnings as _warnings

    _quiet_pypdf()
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    warnings: list[str] = []
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
        except Exception as e:  # noqa: BLE001 - any pypdf failure means a broken file
            raise SkipInput(f"broken PDF: {short(e)}") from e
        try:
            encrypted = reader.is_encrypted
        except Exception as e:  # noqa: BLE001
            raise SkipInput(f"broken PDF: {short(e)}") from e
        if encrypted:
            try:
                ok = reader.decrypt("")
            except DependencyError as e:
                raise SkipInput(f"encrypted PDF (cannot decrypt: {short(e)})") from e
            except Exception as e:  # noqa: BLE001
                raise SkipInput(f"encrypted PDF ({short(e)})") from e
            if not ok:  # PasswordType.NOT_DECRYPTED == 0
                raise SkipInput("encrypted PDF")
        try:
            pages = list(reader.pages)
        except Exception as e:  # noqa: BLE001
            raise SkipInput(f"broken PDF: {short(e)}") from e

        texts: list[str] = []
        failed: list[int] = []
        first_error: Exception | None = None
        runs: list[tuple[float, str]] = []  # the first page's (font size, text), to find its title
        first_page = ""
        for number, page in enumerate(pages, start=1):
            try:
                page_text = (page.extract_text(visitor_text=_collect_runs(runs)) if number == 1 else page.extract_text()) or ""
            except Exception as e:  # noqa: BLE001
                failed.append(number)
                first_error = first_error or e
                continue
            page_text = clean_text(normalize_newlines(page_text))
            if number == 1:
                first_page = page_text
            if page_text.strip():
                texts.append(page_text)
        if pages and len(failed) == len(pages) and first_error is not None:
            raise SkipInput(f"broken PDF: {short(first_error)}")
        if failed:
            shown = ", ".join(str(n) for n in failed[:10]) + (" ..." if len(failed) > 10 else "")
            warnings.append(f"text extraction failed on page(s) {shown}")

        title = pick_title(_metadata_title(reader), runs, first_page)

    text = finish_text("\n\n".join(texts), warnings)
    if not text.strip():
        raise SkipInput("PDF has no text layer (scanned?)")
    return Parsed(clean_title(title) if title else None, text, {"pages": len(pages)}, warnings)


def _metadata_title(reader: Any) -> str | None:
    try:
        meta = reader.metadata
        raw_title = meta.title if meta is not None else None
    except Exception:  # noqa: BLE001 - a broken info dictionary is not fatal
        return None
    return clean_title(str(raw_title)) if raw_title else None


def _collect_runs(runs: list[tuple[float, str]]) -> Any:
    """A pypdf text visitor appending (font size as drawn, text) of each text run to ``runs``."""

    def visit(text: str, cm: Any, tm: Any, font_dict: Any, font_size: Any) -> None:
        try:
            scale = math.hypot(float(tm[2]), float(tm[3])) * math.hypot(float(cm[2]), float(cm[3]))
            size = float(font_size) * (scale or 1.0)
        except (TypeError, ValueError, IndexError):
            return
        if text and text.strip():
            runs.append((size, text))

    return visit
