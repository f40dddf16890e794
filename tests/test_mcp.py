"""`pgvsearch mcp` end to end: the SDK's own client over stdio and streamable HTTP, against the
real embedded server and model. Each server process starts once per module."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import ROOT, run_cli

TOKEN = "test-token-0123456789abcdef"
API_KEY = "sk-testSECRETkey0123456789"
PASSWORD = "S3cretPassw0rdXYZ"
QUESTION = "how do I get a refund for a duplicate charge?"


class Background:
    """An MCP client session held open in a thread of its own, so sync tests can share it.

    The session lives in one task (anyio scopes must close where they opened); calls are
    sent from other tasks on the same loop, as concurrent requests of one session are.
    """

    def __init__(self, connect: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.client: Any = None
        self.main = asyncio.run_coroutine_threadsafe(self._hold(connect), self.loop)
        if not self.ready.wait(120):
            raise RuntimeError(f"the MCP client did not connect: {self.main.exception() if self.main.done() else 'timeout'}")

    async def _hold(self, connect: Any) -> None:
        from contextlib import AsyncExitStack

        self.stop = asyncio.Event()
        try:
            async with AsyncExitStack() as stack:
                self.client = await connect(stack)
                self.ready.set()
                await self.stop.wait()
        finally:
            self.ready.set()

    def run(self, coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        return self.run(self.client.call_tool(name, arguments or {}))

    def close(self) -> None:
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.main.result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def stdio(args: list[str], errlog: Path, env: dict[str, str] | None = None) -> Background:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "pgvsearch", "mcp", *args],
                                   env={**os.environ, **(env or {})}, cwd=str(ROOT))

    async def connect(stack: Any) -> Any:
        log = stack.enter_context(open(errlog, "w"))
        return await stack.enter_async_context(Client(stdio_client(params, errlog=log)))

    return Background(connect)


async def http_client(stack: Any, url: str, token: str | None = TOKEN) -> Any:
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = await stack.enter_async_context(create_mcp_http_client(headers={"Authorization": f"Bearer {token}"} if token else None))
    return await stack.enter_async_context(Client(streamable_http_client(url, http_client=http)))


def text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


# --- a language model that streams slowly, and notices when it is hung up on --------------
class SlowLLM:
    def __init__(self) -> None:
        self.hung_up = threading.Event()
        self.started = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                outer.started.set()
                try:
                    for i in range(100):  # 20 s unless the reader goes away
                        chunk = {"choices": [{"delta": {"content": f"word{i} "}}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(0.2)
                    self.wfile.write(b"data: [DONE]\n\n")
                except OSError:
                    outer.hung_up.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


# --- the servers ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def over_stdio(sample_collection: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    session = stdio(["-c", "sample"], tmp_path_factory.mktemp("mcp") / "stdio.log")
    yield session
    session.close()


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[SlowLLM]:
    fake = SlowLLM()
    yield fake
    fake.server.shutdown()


@pytest.fixture(scope="module")
def over_http(sample_collection: Any, slow_llm: SlowLLM, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`pgvsearch mcp --http` with a bearer token and a (slow) language model for ask; no
    collection fixed at launch, so calls name theirs."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("mcp") / "http.log"
    env = {**os.environ, "PGVSEARCH_MCP_TOKEN": TOKEN, "OPENAI_BASE_URL": slow_llm.url, "PGVSEARCH_LLM_MODEL": "slow",
           "OPENAI_API_KEY": API_KEY}
    with open(log, "w") as errlog:
        proc = subprocess.Popen([sys.executable, "-m", "pgvsearch", "mcp", "--http", f"127.0.0.1:{port}"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errlog)
    deadline = time.monotonic() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the HTTP server did not start: {log.read_text()}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp", log
    proc.terminate()
    proc.wait(30)


# --- tools and results ---------------------------------------------------------------------
def test_tools_are_listed_with_typed_documented_parameters(over_stdio: Background) -> None:
    tools = {t.name: t for t in over_stdio.run(over_stdio.client.list_tools()).tools}
    assert set(tools) == {"search", "keyword", "hybrid", "ask", "get_document", "status", "list_collections"}
    hybrid = tools["hybrid"].input_schema
    assert hybrid["required"] == ["query"]
    assert hybrid["properties"]["k"]["type"] == "integer" and hybrid["properties"]["k"]["minimum"] == 1
    assert set(hybrid["properties"]["fusion"]["enum"]) == {"rrf", "dbsf"}
    assert all(p.get("description") for p in hybrid["properties"].values())
    assert tools["search"].output_schema and "hits" in tools["search"].output_schema["properties"]


@pytest.mark.parametrize("mode,tool", [("search", "search"), ("keyword", "keyword"), ("hybrid", "hybrid")])
def test_hits_are_what_format_json_prints(over_stdio: Background, mode: str, tool: str) -> None:
    query = "refund for a duplicate charge"
    result = over_stdio.call(tool, {"query": query, "k": 5})
    assert not result.is_error, text(result)
    hits = result.structured_content["hits"]
    cli = run_cli(mode, query, "-c", "sample", "-k", "5", "-f", "json")
    assert cli.returncode == 0, cli.stderr
    expected = [json.loads(line) for line in cli.stdout.splitlines()]
    assert [(h["doc_id"], h["chunk"], h["rank"], h["semantic_rank"], h["keyword_rank"]) for h in hits] == \
        [(h["doc_id"], h["chunk"], h["rank"], h["semantic_rank"], h["keyword_rank"]) for h in expected]
    for ours, theirs in zip(hits, expected):
        assert set(ours) == set(theirs)
        assert ours["score"] == pytest.approx(theirs["score"], rel=1e-4, abs=1e-6)
    assert json.loads(text(result))["hits"][0]["doc_id"] == hits[0]["doc_id"]  # the text content says the same


def test_filters_and_fusion_options(over_stdio: Background) -> None:
    result = over_stdio.call("hybrid", {"query": "refund", "k": 3, "prefix": "billing/", "fusion": "dbsf",
                                        "semantic_weight": 0.5, "candidates": 50})
    assert not result.is_error, text(result)
    assert result.structured_content["hits"] and all(h["doc_id"].startswith("billing/") for h in result.structured_content["hits"])
    none = over_stdio.call("keyword", {"query": "refund", "meta": {"no_such_key": "x"}})
    assert not none.is_error and none.structured_content["hits"] == []


def test_a_call_takes_well_under_50_ms_of_pgvsearch_time(over_stdio: Background) -> None:
    from pgvsearch.serve import TOOK_MS

    took = []
    for i in range(20):
        result = over_stdio.call(("search", "keyword", "hybrid")[i % 3], {"query": f"billing question {i}", "k": 10})
        assert not result.is_error, text(result)
        took.append(result.meta[TOOK_MS])
    took.sort()
    assert took[len(took) // 2] < 50, took


def test_get_document_reads_the_whole_document_or_around_a_hit(over_stdio: Background) -> None:
    hit = over_stdio.call("hybrid", {"query": "refund for a duplicate charge", "k": 1}).structured_content["hits"][0]
    whole = over_stdio.call("get_document", {"doc_id": hit["doc_id"]}).structured_content
    assert whole["complete"] and whole["first_chunk"] == 0 and whole["last_chunk"] == whole["chunk_count"] - 1
    assert hit["text"].strip()[:60] in whole["text"]
    around = over_stdio.call("get_document", {"doc_id": hit["doc_id"], "chunk": hit["chunk"], "radius": 1}).structured_content
    assert around["first_chunk"] == max(0, hit["chunk"] - 1) and around["last_chunk"] <= hit["chunk"] + 1
    assert hit["text"].strip()[:60] in around["text"]
    missing = over_stdio.call("get_document", {"doc_id": "no/such.md"})
    assert missing.is_error and text(missing) == "error: no document 'no/such.md' in collection 'sample'"
    beyond = over_stdio.call("get_document", {"doc_id": hit["doc_id"], "chunk": 10_000})
    assert beyond.is_error and "chunks" in text(beyond)


def test_ask_answers_extractively_without_a_model(over_stdio: Background) -> None:
    result = over_stdio.call("ask", {"question": QUESTION, "k": 3})
    assert not result.is_error, text(result)
    answer = result.structured_content
    assert answer["mode"] == "extractive" and answer["answer"] and answer["sources"]
    assert "[1]" in answer["answer"] and answer["sources"][0]["n"] == 1
    assert "no language model" in answer["note"]


def test_status_and_list_collections(over_stdio: Background) -> None:
    status = over_stdio.call("status").structured_content
    assert status["collection"] == "sample" and status["documents"] >= 20 and status["answers"].startswith("extractive")
    listed = over_stdio.call("list_collections").structured_content
    assert listed["default"] == "sample" and listed["fixed"] and [c["name"] for c in listed["collections"]] == ["sample"]


# --- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("tool,arguments,message", [
    ("search", {"query": ""}, "error: the query is empty"),
    ("hybrid", {"query": "   "}, "error: the query is empty"),
    ("keyword", {"query": 42}, "error: query: Input should be a valid string"),
    ("search", {"query": ["a", "b"]}, "error: query: Input should be a valid string"),
    ("search", {}, "error: query: Field required"),
    ("search", {"query": "x", "k": 0}, "error: k: Input should be greater than or equal to 1"),
    ("hybrid", {"query": "x", "k": -3}, "error: k: Input should be greater than or equal to 1"),
    ("hybrid", {"query": "x", "fusion": "max"}, "error: fusion: Input should be 'rrf' or 'dbsf'"),
    ("search", {"query": "x", "kk": 3}, "error: unknown argument 'kk' for search; it takes query, k, candidates, prefix, meta, collection"),
    ("status", {"verbose": True}, "error: unknown argument 'verbose' for status; it takes collection"),
    ("ask", {"question": ""}, "error: the question is empty"),
    ("get_document", {"doc_id": "x", "chunk": -1}, "error: chunk: Input should be greater than or equal to 0"),
    ("search", {"query": "x", "collection": "other"}, "error: this server answers for collection 'sample' only (started with --collection sample)"),
    ("nosuch", {}, "error: Unknown tool: nosuch"),
])
def test_bad_arguments_are_one_line_tool_errors(over_stdio: Background, tool: str, arguments: dict[str, Any], message: str) -> None:
    result = over_stdio.call(tool, arguments)
    assert result.is_error and text(result) == message
    assert over_stdio.call("keyword", {"query": "refund", "k": 1}).structured_content["hits"]  # the server goes on


def test_a_huge_k_is_capped_and_the_result_says_so(over_stdio: Background) -> None:
    from pgvsearch.serve import MAX_K

    result = over_stdio.call("keyword", {"query": "the", "k": 10**9, "candidates": 10**9})
    assert not result.is_error, text(result)
    data = result.structured_content
    assert data["k"] == MAX_K and len(data["hits"]) <= MAX_K
    assert f"k=1000000000 was capped at {MAX_K}" in data["note"] and "candidates" in data["note"]


def test_a_connection_closed_between_calls_is_reopened_by_the_next_call(over_stdio: Background, conn: Any) -> None:
    before = over_stdio.call("keyword", {"query": "refund"})
    assert not before.is_error
    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE application_name = 'pgvsearch' AND pid <> pg_backend_pid()")
    # The kept connection is checked before the call (a server restart closes it the same way).
    first = over_stdio.call("keyword", {"query": "refund"})
    assert not first.is_error, text(first)
    assert first.structured_content["hits"] == before.structured_content["hits"]
    again = over_stdio.call("hybrid", {"query": "refund"})
    assert not again.is_error and again.structured_content["hits"]


def test_no_secret_in_errors_or_logs(tmp_path: Path, server: Any) -> None:
    log = tmp_path / "secret.log"
    session = stdio(["--dsn", f"postgresql://pgvs:{PASSWORD}@127.0.0.1:9/nodb"], log, env={"OPENAI_API_KEY": API_KEY})
    try:
        results = [session.call("status"), session.call("hybrid", {"query": "x"}), session.call("list_collections")]
    finally:
        session.close()
    for result in results:
        assert result.is_error and text(result).startswith("error: cannot connect to PostgreSQL at 127.0.0.1:9/nodb")
        assert "connects again on the next call" in text(result)
    shown = "".join(text(r) for r in results) + log.read_text()
    assert PASSWORD not in shown and API_KEY not in shown and "Traceback" not in shown


# --- HTTP ----------------------------------------------------------------------------------
def test_http_needs_the_bearer_token(over_http: tuple[str, Path]) -> None:
    url, _ = over_http
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": TOKEN}):
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401 and refused.value.headers["WWW-Authenticate"].startswith("Bearer")


def test_two_http_clients_at_once(over_http: tuple[str, Path]) -> None:
    from contextlib import AsyncExitStack

    url, _ = over_http

    async def one(n: int) -> list[str]:
        async with AsyncExitStack() as stack:  # each client opens and closes in its own task
            client = await http_client(stack, url)
            found = []
            for i in range(8):
                result = await client.call_tool(("hybrid", "keyword", "search")[(i + n) % 3], {"query": "refund duplicate charge", "k": 3, "collection": "sample"})
                assert not result.is_error, text(result)
                found.append(result.structured_content["hits"][0]["doc_id"])
            return found

    async def both() -> list[list[str]]:
        return list(await asyncio.gather(one(0), one(1)))

    first, second = asyncio.run(both())
    assert len(first) == len(second) == 8


def test_a_client_that_disconnects_mid_answer(over_http: tuple[str, Path], slow_llm: SlowLLM) -> None:
    """The answer streams from the model; the client goes away: the server stops reading the
    model's answer and serves the next client at once."""
    from contextlib import AsyncExitStack

    url, log = over_http

    async def leave_mid_answer() -> None:
        async with AsyncExitStack() as stack:
            client = await http_client(stack, url)
            task = asyncio.ensure_future(client.call_tool("ask", {"question": QUESTION, "k": 2, "collection": "sample"}))
            await asyncio.get_running_loop().run_in_executor(None, slow_llm.started.wait, 60)
            await asyncio.sleep(0.5)
            task.cancel()
            with pytest.raises(BaseException):
                await task

    async def next_client() -> Any:
        async with AsyncExitStack() as stack:
            client = await http_client(stack, url)
            return await client.call_tool("keyword", {"query": "refund", "k": 2, "collection": "sample"})

    asyncio.run(leave_mid_answer())
    started = time.monotonic()
    assert slow_llm.hung_up.wait(10), "the server kept reading the model's answer for a client that had gone"
    result = asyncio.run(next_client())
    assert not result.is_error and result.structured_content["hits"]
    assert time.monotonic() - started < 15
    shown = log.read_text()
    assert API_KEY not in shown and "Traceback" not in shown


def test_http_refuses_other_addresses_without_host_and_token(server: Any) -> None:
    result = run_cli("mcp", "--http", "0.0.0.0:8765")
    assert result.returncode == 2 and "--host 0.0.0.0" in result.stderr
    result = run_cli("mcp", "--http", "8765", "--host", "0.0.0.0")
    assert result.returncode == 2 and "needs a bearer token" in result.stderr and "PGVSEARCH_MCP_TOKEN" in result.stderr
    result = run_cli("mcp", "--http", "8765", "--host", "0.0.0.0", env={"PGVSEARCH_MCP_TOKEN": "short"})
    assert result.returncode == 2 and "too short" in result.stderr
    result = run_cli("mcp", "--host", "0.0.0.0")
    assert result.returncode == 2 and "apply to --http" in result.stderr


def test_only_the_mcp_command_imports_the_sdk() -> None:
    code = ("import sys\nimport pgvsearch.cli\n"
            "loaded = [m for m in ('mcp', 'pydantic', 'starlette', 'uvicorn', 'anyio') if m in sys.modules]\n"
            "assert not loaded, loaded\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
