"""Ask: retrieve passages, then answer with a language model (or extractively), citing sources."""

from .core import (
    NO_LLM_NOTE,
    NO_MODEL_NAME_NOTE,
    OPENAI_BASE_URL,
    Answer,
    ChatClient,
    LLMConfig,
    Passage,
    ask,
    ask_question,
    build_messages,
    chunk_windows,
    cited_numbers,
    cited_sources,
    extractive_answer,
    join_chunks,
    prompt_request,
    resolve_llm,
    retrieve,
    select_passages,
    split_sentences,
)
