"""Ask: retrieve passages, then answer with a language model (or extractively), citing sources.

``ask`` retrieves with the hybrid ranking, fits the best chunks into a token budget and then
either streams an answer from any OpenAI-compatible Chat Completions endpoint (OpenAI,
Ollama, vLLM, llama.cpp server, LM Studio) or, with no model configured, answers
extractively: the passages' sentences closest to the question, each with its citation.

The flow, one module each: ``retrieval`` (hybrid hits and their neighbouring chunks) ->
``passages`` (windows fitted into the budget) -> ``prompt`` (messages, citations) ->
``llm`` (which model, from Settings) + ``client`` (HTTP, retries, server-sent events) or
``sentences`` (a passage read as sentences, items and code blocks) + ``extractive`` ->
``answer`` (``ask``, the whole flow).
"""

from .answer import Answer, ask, ask_question
from .client import ChatClient
from .extractive import ExtractiveAnswer, answer_extractively, extractive_answer
from .llm import NO_LLM_NOTE, NO_MODEL_NAME_NOTE, OPENAI_BASE_URL, LLMConfig, resolve_llm
from .passages import Passage, Window, join_chunks, select_passages, window_text
from .prompt import build_messages, cited_numbers, cited_sources, prompt_request
from .retrieval import chunk_windows, retrieve
from .sentences import Unit, read_units, split_sentences
