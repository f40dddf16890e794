"""PDF: the text layer of every page (``pypdf``, imported lazily); encrypted or broken
files and files without a text layer are skipped with the reason."""

from __future__ import annotations

import io

from ..document import Parsed, SkipInput
from ..reasons import short
from ..text import clean_text, clean_title, finish_text, normalize_newlines


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
        for number, page in enumerate(pages, start=1):
            try:
                page_text = page.extract_text() or ""
            except Exception as e:  # noqa: BLE001
                failed.append(number)
                first_error = first_error or e
                continue
            page_text = clean_text(normalize_newlines(page_text))
            if page_text.strip():
                texts.append(page_text)
        if pages and len(failed) == len(pages) and first_error is not None:
            raise SkipInput(f"broken PDF: {short(first_error)}")
        if failed:
            shown = ", ".join(str(n) for n in failed[:10]) + (" ..." if len(failed) > 10 else "")
            warnings.append(f"text extraction failed on page(s) {shown}")

        title: str | None = None
        try:
            meta = reader.metadata
            raw_title = meta.title if meta is not None else None
        except Exception:  # noqa: BLE001 - a broken info dictionary is not fatal
            raw_title = None
        if raw_title:
            title = clean_title(str(raw_title)) or None

    text = finish_text("\n\n".join(texts), warnings)
    if not text.strip():
        raise SkipInput("PDF has no text layer (scanned?)")
    return Parsed(title, text, {"pages": len(pages)}, warnings)
