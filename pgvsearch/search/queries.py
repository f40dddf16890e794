"""Reading many queries at once: BEIR queries.jsonl, or one query per line."""

from __future__ import annotations

import json

from ..errors import UsageError
from .hits import Query


def read_queries(path: str) -> list[Query]:
    """BEIR queries.jsonl ({"_id", "text"}) or one query per line (ids are line numbers)."""
    from pathlib import Path

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines() if path != "-" else __import__("sys").stdin.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read queries from {path}: {exc}") from None
    queries: list[Query] = []
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
                text = str(record.get("text") or record.get("query") or "")
                qid = str(record.get("_id", record.get("id", number)))
            except (json.JSONDecodeError, AttributeError):
                raise UsageError(f"{path}:{number}: not a JSON object with \"_id\" and \"text\"") from None
        else:
            text, qid = line, str(number)
        if text.strip():
            queries.append(Query(text=text, query_id=qid))
    return queries
