"""Sources: find documents and turn each into a :class:`SourceDocument` (files, folders, stdin).

The flow inside the room: :mod:`.walk` finds files, :mod:`.read` opens each one and hands its
bytes to its format (:mod:`.formats`: the registry, one module per format), :mod:`.decode`
turns bytes into text and :mod:`.text` tidies it; :mod:`.doc_ids` holds every doc_id rule.
One bad input never stops a run: every problem becomes a :class:`Skipped` with a reason.
Only the standard library is imported at module level (pypdf, bs4 and charset_normalizer
load when a file needs them).

Other rooms import the sources through this module.
"""

from .decode import decode_text, is_binary
from .doc_ids import DocIds, Stored, doc_id_for, record_source
from .document import DEFAULT_MAX_BYTES, Skipped, SourceDocument
from .formats import FORMATS, SUPPORTED_SUFFIXES, Format, is_markdown
from .ignored import KNOWN_BINARY_SUFFIXES, WalkAccount
from .read import parse_file, parse_stream
from .text import display as display_path
from .text import scrub
from .walk import SKIPPED_DIR_NAMES, discover

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "KNOWN_BINARY_SUFFIXES",
    "SKIPPED_DIR_NAMES",
    "SUPPORTED_SUFFIXES",
    "DocIds",
    "Format",
    "Skipped",
    "SourceDocument",
    "Stored",
    "WalkAccount",
    "decode_text",
    "discover",
    "display_path",
    "doc_id_for",
    "is_binary",
    "is_markdown",
    "parse_file",
    "parse_stream",
    "record_source",
    "scrub",
]
