"""Sources: find documents and turn each into a :class:`SourceDocument` (files, folders, stdin).

Other rooms import the sources through this module.
"""

from .parsers import (
    DEFAULT_MAX_BYTES,
    SKIPPED_DIR_NAMES,
    SUPPORTED_SUFFIXES,
    Skipped,
    SourceDocument,
    decode_text,
    discover,
    is_binary,
    parse_file,
    parse_stream,
)
from .parsers import _display as display_path
