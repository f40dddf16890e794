"""Render: hits, answers and reports -> tables (people) or JSON lines / CSV (scripts).

Results go to stdout; rich is imported only when a table is printed.
"""

from .answer import answer_writer, print_answer
from .formats import FORMATS, pick_format, print_csv, print_json
from .hits import print_hits, snippet
from .reports import eval_fields, human_bytes, ingest_summary, print_eval, print_mapping_table, print_status_table

__all__ = [
    "FORMATS",
    "answer_writer",
    "eval_fields",
    "human_bytes",
    "ingest_summary",
    "pick_format",
    "print_answer",
    "print_csv",
    "print_eval",
    "print_hits",
    "print_json",
    "print_mapping_table",
    "print_status_table",
    "snippet",
]
