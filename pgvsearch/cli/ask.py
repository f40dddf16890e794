"""ask: a question -> an answer citing the collection's documents."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import UsageError
from .context import QUERY_PRECISION, err, load_embedder, open_collection, reading_connection, settings_for
from .options import CANDIDATES, Candidates, CollectionName, Debug, Device, Dsn, MaxLag, Meta, Model, Prefix, ReadDsn, search_options
from .search import note_no_terms


def ask(
    question: Annotated[str, typer.Argument(help="The question to answer from the collection's documents.")],
    k: Annotated[int, typer.Option("-k", "--limit", help="Passages to retrieve with the hybrid ranking.", min=1)] = 5,
    candidates: Candidates = CANDIDATES,
    fusion: Annotated[str, typer.Option("--fusion", help="How the hybrid ranking fuses its branches: rrf or dbsf (see `hybrid --help`).")] = "rrf",
    prefix: Prefix = None,
    meta: Meta = None,
    context_tokens: Annotated[int, typer.Option("--context-tokens", help="Token budget for the passages (counted with the collection's tokenizer).", min=1)] = 3000,
    llm_url: Annotated[Optional[str], typer.Option("--llm-url", help="OpenAI-compatible base URL, e.g. http://localhost:11434/v1 [default: OPENAI_BASE_URL, config llm_url].", show_default=False)] = None,
    llm_model: Annotated[Optional[str], typer.Option("--llm-model", help="Chat model [default: PGVSEARCH_LLM_MODEL, config llm_model; gpt-4o-mini with only OPENAI_API_KEY].", show_default=False)] = None,
    llm_timeout: Annotated[float, typer.Option("--llm-timeout", help="Seconds to wait for the model to connect and for each piece of its answer.")] = 60.0,
    show_prompt: Annotated[bool, typer.Option("--show-prompt", help="Print the messages that would be sent (JSON) and exit; no model is called.")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="table (answer, then cited sources) or json (one object) [default: table on a terminal, json when piped].", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No note when answering without a language model.")] = False,
    model: Model = None,
    dsn: Dsn = None,
    collection: CollectionName = None,
    read_dsn: ReadDsn = None,
    max_lag: MaxLag = None,
    device: Device = None,
    debug: Debug = False,
) -> None:
    """Answer a question from the documents, citing them as [1], [2]; extractive when no language model is set.

    Example: OPENAI_BASE_URL=http://localhost:11434/v1 pgvsearch ask "how do I get a refund?" --llm-model llama3.1
    """
    from ..ask import ask as answer_question, prompt_request, resolve_llm, retrieve
    from ..render import answer_writer, pick_format, print_answer, print_json
    from ..search import require_text

    if not question.strip():
        raise UsageError("the question is empty")
    require_text(question, "the question")
    settings = settings_for(dsn, collection, read_dsn, max_lag, device)
    llm, note = resolve_llm(settings, url=llm_url, model=llm_model, timeout=llm_timeout)
    fmt = pick_format(fmt)
    if fmt not in ("table", "json"):
        raise UsageError("ask prints --format table or json")
    with reading_connection(settings) as conn:
        coll = open_collection(conn, settings, model)
        embedder = load_embedder(coll.model, settings, quiet, QUERY_PRECISION, quick_start=True)
        options = search_options(k, candidates, prefix, meta, fusion=fusion)
        if show_prompt:
            print_json(prompt_request(question, retrieve(conn, coll, embedder, question, options, context_tokens=context_tokens), llm))
            return
        if note and not quiet:
            err(note)
        note_no_terms(conn, coll, "hybrid", question, "the question")
        result = answer_question(conn, coll, embedder, question, options, llm, context_tokens=context_tokens,
                                 on_token=answer_writer() if fmt == "table" else None)
    if fmt == "json":
        print_json(result.to_dict())
    else:
        print_answer(result, written=True, fusion=options.fusion)
