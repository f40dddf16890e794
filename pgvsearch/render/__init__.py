"""Render: hits, answers and reports -> tables (people) or JSON lines / CSV (scripts)."""

from .core import (
    FORMATS,
    answer_writer,
    eval_fields,
    human_bytes,
    ingest_summary,
    pick_format,
    print_answer,
    print_csv,
    print_eval,
    print_hits,
    print_json,
    print_mapping_table,
    snippet,
)
