"""ingest: formats, chunking limits, incremental re-ingest, prune, BM25 statistics, stdin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Sequence

import pytest

from conftest import SAMPLE_DATA, make_collection, run_cli, unique_name


class CountingEmbedder:
    """Wraps the real embedder and records every text it embeds."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.texts: list[str] = []
        self.model_name, self.dimension, self.max_seq_length = inner.model_name, inner.dimension, inner.max_seq_length
        self.backend, self.precision = inner.backend, inner.precision

    def tokenizer(self) -> Any:
        return self.inner.tokenizer()

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> Any:
        self.texts.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size)


def _docs(conn: Any, coll: Any) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        f'SELECT doc_id, title, metadata, chunk_count, (SELECT count(*) FROM "{coll.schema}".chunks c WHERE c.document_id = d.id) '
        f'FROM "{coll.schema}".documents d'
    ).fetchall()
    return {r[0]: {"title": r[1], "metadata": r[2], "chunk_count": r[3], "chunks": r[4]} for r in rows}


def _make_pdf(path: Path, text: str) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    with path.open("wb") as fh:
        writer.write(fh)


def test_every_format_is_ingested(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    root = tmp_path / "kb"
    (root / "sub").mkdir(parents=True)
    (root / "a.md").write_text("# Markdown title\n\nThe zebra crossing manual.\n")
    (root / "b.txt").write_text("Plain title\n\nA text about quokkas.\n")
    (root / "c.rst").write_text("RST title\n=========\n\nNotes on axolotls.\n")
    (root / "sub" / "d.html").write_text(
        "<html><head><title>HTML title</title><script>var tracking = 'pangolin';</script></head>"
        "<body><nav>Home | Menu</nav><h1>HTML title</h1><p>The narwhal guide.</p><footer>Copyright footer</footer></body></html>"
    )
    _make_pdf(root / "e.pdf", "The platypus handbook")
    (root / "f.jsonl").write_text(
        json.dumps({"_id": "rec-1", "title": "Record one", "text": "About wombats.", "lang": "en"}) + "\n"
        + json.dumps({"_id": "rec-2", "title": "Record two", "text": "About capybaras.", "year": 2024}) + "\n"
    )
    (root / ".hidden.md").write_text("# Hidden\n\nshould not be read\n")
    (root / ".git").mkdir()
    (root / ".git" / "x.md").write_text("# VCS\n\nnot this either\n")
    report = ingest_paths(conn, collection, embedder, [str(root)])
    assert report.added == 7 and not report.skipped, report.to_dict()
    docs = _docs(conn, collection)
    assert set(docs) == {"a.md", "b.txt", "c.rst", "sub/d.html", "e.pdf", "rec-1", "rec-2"}
    assert docs["a.md"]["title"] == "Markdown title"
    assert docs["sub/d.html"]["title"] == "HTML title"
    assert docs["rec-1"]["title"] == "Record one" and docs["rec-1"]["metadata"]["lang"] == "en"
    assert docs["rec-2"]["metadata"]["year"] == 2024
    assert all(d["chunks"] == d["chunk_count"] >= 1 for d in docs.values())
    html_text = conn.execute(
        f'SELECT string_agg(content, \' \') FROM "{collection.schema}".chunks c JOIN "{collection.schema}".documents d ON d.id = c.document_id WHERE d.doc_id = %s',
        ("sub/d.html",),
    ).fetchone()[0]
    assert "narwhal" in html_text and "pangolin" not in html_text and "Copyright footer" not in html_text
    from pgvsearch.search import SearchOptions, Searcher

    searcher = Searcher(conn, collection, embedder)
    for word, doc_id in [("zebra", "a.md"), ("quokkas", "b.txt"), ("axolotls", "c.rst"), ("narwhal", "sub/d.html"), ("platypus", "e.pdf"), ("wombats", "rec-1")]:
        assert searcher.run(word, "keyword", SearchOptions(k=1))[0].doc_id == doc_id


def test_include_exclude_globs_and_single_file(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    (tmp_path / "keep.md").write_text("# Keep\n\nkept text\n")
    (tmp_path / "drop.md").write_text("# Drop\n\ndropped text\n")
    (tmp_path / "notes.txt").write_text("notes text\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)], include=["*.md"], exclude=["drop*"])
    assert set(_docs(conn, collection)) == {"keep.md"}
    ingest_paths(conn, collection, embedder, [str(tmp_path / "notes.txt")])
    assert set(_docs(conn, collection)) == {"keep.md", "notes.txt"}


def test_stdin_text_and_jsonl(collection: Any, settings: Any) -> None:
    result = run_cli("ingest", "-", "-c", collection.name, "-f", "json", input="A note piped from a shell script about llamas.\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 1
    records = "".join(json.dumps({"_id": f"s{i}", "text": f"streamed record {i}"}) + "\n" for i in range(3))
    result = run_cli("ingest", "-", "-c", collection.name, "-f", "json", input=records)
    assert json.loads(result.stdout)["added"] == 3
    hits = [json.loads(x) for x in run_cli("keyword", "llamas", "-c", collection.name).stdout.splitlines()]
    assert hits[0]["doc_id"] == "-"


def test_chunks_fit_the_model_window_and_long_documents_stay_searchable(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    paragraphs = [f"## Section {i}\n\n" + " ".join(f"Paragraph {i} talks about topic{i} and ordinary words." for _ in range(12)) for i in range(30)]
    text = "# A long manual\n\n" + "\n\n".join(paragraphs) + "\n\nThe final sentence mentions the xylophone repair kit.\n"
    (tmp_path / "long.md").write_text(text)
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert report.chunks > 10
    rows = conn.execute(f'SELECT context, content FROM "{collection.schema}".chunks ORDER BY position').fetchall()
    tokenizer = embedder.tokenizer()
    from pgvsearch.chunking import Chunk

    for position, (context, content) in enumerate(rows):
        assert len(tokenizer.encode(Chunk(position, content, context).embed_text).ids) + 2 <= embedder.max_seq_length
        assert context.startswith("A long manual")
    assert "Section 29" in rows[-1][0] or "Section 29" in rows[-1][1]
    searcher = Searcher(conn, collection, embedder)
    for mode in ("keyword", "semantic", "hybrid"):
        assert searcher.run("xylophone repair kit", mode, SearchOptions(k=1))[0].doc_id == "long.md"
    hit = searcher.run("xylophone repair kit", "keyword", SearchOptions(k=1))[0]
    assert "xylophone" in hit.text, "the shown chunk is the one with the query terms"


def test_a_title_line_repeated_as_the_first_paragraph_is_not_a_chunk_of_its_own(embedder: Any) -> None:
    from pgvsearch.chunking import Chunker

    chunker = Chunker(embedder.tokenizer(), max_tokens=embedder.max_seq_length, overlap=32)
    title = "vibration isolation of aircraft power plants ."
    body = " ".join(f"sentence {i} about mounts, dampers and the engine frequency ." for i in range(60))
    chunks = chunker.split(f"{title}\n\n{body}", title=title, markdown=False)
    assert len(chunks) > 1
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(c.content.split() != title.split() for c in chunks)
    assert all(c.embed_text.startswith(title) for c in chunks)
    assert "sentence 59" in chunks[-1].content and "sentence 0 " in chunks[0].content

    # A document that only repeats its (long) title keeps one chunk, and it fits the window.
    long_title = " ".join(f"topic{i}" for i in range(60))
    only = chunker.split(f"{long_title}\n\n{long_title}", title=long_title, markdown=False)[0]
    assert only.content and set(only.content.split()) <= set(long_title.split())
    assert len(embedder.tokenizer().encode(only.embed_text).ids) + 2 <= embedder.max_seq_length


def test_reingest_embeds_nothing_and_edits_reembed_only_that_file(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_DATA, kb)
    first = ingest_paths(conn, collection, embedder, [str(kb)])
    assert first.added >= 20

    counting = CountingEmbedder(embedder)
    second = ingest_paths(conn, collection, counting, [str(kb)])
    assert counting.texts == [] and second.embedded_chunks == 0
    assert (second.added, second.updated, second.unchanged) == (0, 0, first.added)

    edited = kb / "billing" / "invoices.html"
    edited.write_text(edited.read_text().replace("</body>", "<p>Invoices now include a QR code for bank transfers.</p></body>"))
    third = ingest_paths(conn, collection, counting, [str(kb)])
    assert (third.added, third.updated, third.unchanged) == (0, 1, first.added - 1)
    assert counting.texts and all("Downloading invoices" in t or "QR code" in t or "invoice" in t.lower() for t in counting.texts)
    assert third.embedded_chunks == len(counting.texts) == _docs(conn, collection)["billing/invoices.html"]["chunks"]


def test_prune_deletes_documents_whose_files_are_gone(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    for name in ("one", "two", "three"):
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\nText {name}.\n")
    other = tmp_path.parent / unique_name("other")
    other.mkdir()
    (other / "elsewhere.md").write_text("# elsewhere\n\nnot under the pruned root\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path), str(other / "elsewhere.md")])
    (tmp_path / "two.md").unlink()
    kept = ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert kept.deleted == 0 and "two.md" in _docs(conn, collection)
    pruned = ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert pruned.deleted == 1
    assert set(_docs(conn, collection)) == {"one.md", "three.md", "elsewhere.md"}


def test_bm25_statistics_stay_exact_through_update_and_prune(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    def check() -> None:
        s = collection.schema
        stats = conn.execute(f'SELECT n_docs, total_length FROM "{s}".stats').fetchone()
        truth = conn.execute(f'SELECT count(*), coalesce(sum(doc_length), 0) FROM "{s}".documents').fetchone()
        postings = conn.execute(f'SELECT coalesce(sum(tf), 0) FROM "{s}".postings').fetchone()
        assert tuple(stats) == tuple(truth) and truth[1] == postings[0]
        assert _lexicon(conn, s) == _counted_df(conn, s) != []

    for i in range(4):
        (tmp_path / f"d{i}.txt").write_text(f"document {i} " + "apple banana " * (i + 1))
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    check()
    (tmp_path / "d1.txt").write_text("now much longer " * 50)
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    check()
    (tmp_path / "d2.txt").unlink()
    ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    check()
    df = conn.execute(f'SELECT count(*) FROM "{collection.schema}".postings WHERE term = %s', ("banana",)).fetchone()[0]
    assert df == 2  # d0 and d3 still mention it


def _lexicon(conn: Any, schema: str) -> list[tuple[str, int]]:
    return [tuple(r) for r in conn.execute(f'SELECT term, df FROM "{schema}".lexicon ORDER BY term')]


def _counted_df(conn: Any, schema: str) -> list[tuple[str, int]]:
    return [tuple(r) for r in conn.execute(f'SELECT term, count(*) FROM "{schema}".postings GROUP BY term ORDER BY term')]


def test_the_lexicon_of_an_earlier_collection_is_counted_by_init_and_kept_exact(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    """BM25's df comes from the lexicon, kept by statement triggers on postings: a collection
    made before it gets it counted by `init`, and it stays equal to the postings' own counts
    through edits, prunes and a document deleted by an application's own SQL."""
    from pgvsearch.ingest import ingest_paths

    s = collection.schema
    for i in range(12):
        (tmp_path / f"d{i}.txt").write_text(f"document {i} " + "plum " * (i + 1) + ("quince " if i % 3 else ""))
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert _lexicon(conn, s) == _counted_df(conn, s)
    assert dict(_lexicon(conn, s))["quinc"] == 8

    conn.execute(f"""
        DROP TRIGGER postings_lexicon_insert ON "{s}".postings;
        DROP TRIGGER postings_lexicon_delete ON "{s}".postings;
        DROP TRIGGER postings_lexicon_update ON "{s}".postings;
        DROP FUNCTION "{s}".maintain_lexicon_per_statement();
        DROP TABLE "{s}".lexicon;
    """)
    conn.commit()
    make_collection(conn, embedder, collection.name)
    assert _lexicon(conn, s) == _counted_df(conn, s)
    make_collection(conn, embedder, collection.name)  # counted once: a second init adds nothing
    assert _lexicon(conn, s) == _counted_df(conn, s)

    (tmp_path / "d3.txt").write_text("rewritten with other words entirely")
    (tmp_path / "d4.txt").unlink()
    ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert _lexicon(conn, s) == _counted_df(conn, s)
    assert "entir" in dict(_lexicon(conn, s)) and dict(_lexicon(conn, s))["plum"] == 10

    conn.execute(f'DELETE FROM "{s}".documents WHERE doc_id IN (%s, %s)', ("d1.txt", "d2.txt"))
    conn.execute(f'UPDATE "{s}".postings SET term = %s WHERE term = %s', ("apricot", "plum"))
    conn.commit()
    assert _lexicon(conn, s) == _counted_df(conn, s)
    assert "plum" not in dict(_lexicon(conn, s)) and dict(_lexicon(conn, s))["apricot"] == 8


def test_cli_ingest_summary_report_and_exit_codes(collection: Any, tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nfine text\n")
    (tmp_path / "empty.txt").write_text("   \n")
    report_file = tmp_path / "report.json"
    result = run_cli("ingest", str(tmp_path), "-c", collection.name, "--report", str(report_file))
    assert result.returncode == 3, result.stderr  # partial: one input skipped
    assert "1 added" in result.stderr and "empty.txt" in result.stderr
    report = json.loads(report_file.read_text())
    assert report["added"] == 1 and report["skipped"] == 1
    assert report["skipped_inputs"][0]["path"].endswith("empty.txt") and report["skipped_inputs"][0]["reason"]
    again = run_cli("ingest", str(tmp_path / "good.md"), "-c", collection.name, "-f", "json", "-q")
    assert again.returncode == 0 and again.stderr == ""
    assert json.loads(again.stdout)["unchanged"] == 1


def test_init_is_idempotent_and_refuses_another_model(conn: Any, embedder: Any, collection_name: str) -> None:
    from pgvsearch.errors import ConfigError
    from pgvsearch.store import init_collection

    first = make_collection(conn, embedder, collection_name)
    again = init_collection(conn, collection_name, model=embedder.model_name, dimension=embedder.dimension, max_seq_length=256)
    assert not again.created and again.collection == first
    with pytest.raises(ConfigError, match="exists with model"):
        init_collection(conn, collection_name, model="other-model", dimension=768, max_seq_length=512)


def test_model_mismatch_is_a_clear_error(conn: Any, embedder: Any, sample_collection: Any, tmp_path: Path) -> None:
    from pgvsearch.store import init_collection

    name = unique_name()
    # A collection recorded for a 768-dimensional model cannot be fed 384-dimensional vectors.
    init_collection(conn, name, model=embedder.model_name, dimension=768, max_seq_length=256)
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    result = run_cli("ingest", str(tmp_path), "-c", name)
    assert result.returncode == 4
    assert "384" in result.stderr and "768" in result.stderr and "Traceback" not in result.stderr
    assert conn.execute(f'SELECT count(*) FROM "pgvs_{name}".documents').fetchone()[0] == 0

    result = run_cli("hybrid", "x", "-c", "sample", "--model", "sentence-transformers/all-mpnet-base-v2")
    assert result.returncode == 4 and "all-MiniLM-L6-v2" in result.stderr

    result = run_cli("init", "-c", name, "--model", "all-MiniLM-L6-v2")
    assert result.returncode == 4 and "768" in result.stderr


def test_missing_collection_exit_code(settings: Any) -> None:
    result = run_cli("search", "anything", "-c", "does_not_exist")
    assert result.returncode == 4 and "pgvsearch init" in result.stderr


def test_status_json(sample_collection: Any) -> None:
    result = run_cli("status", "-c", "sample", "-f", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["documents"] >= 20 and data["chunks"] >= data["documents"]
    assert data["model"] == "all-MiniLM-L6-v2" and data["dimension"] == 384
    assert data["hnsw_index_bytes"] > 0 and data["data_dir"]


def test_halfvec_storage_ingests_and_searches(conn: Any, embedder: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    coll = make_collection(conn, embedder, unique_name(), storage="halfvec")
    assert coll.storage == "halfvec"
    shutil.copytree(SAMPLE_DATA / "billing", tmp_path / "billing")
    ingest_paths(conn, coll, embedder, [str(tmp_path)])
    hits = Searcher(conn, coll, embedder).run("I was charged twice for the same order", "hybrid", SearchOptions(k=3))
    assert hits[0].doc_id == "billing/refunds-and-duplicate-charges.md"


def test_binary_storage_indexes_bits_and_answers_like_vector_storage(conn: Any, embedder: Any, sample_collection: Any) -> None:
    """`--storage binary`: full vectors in the table, an HNSW index over their bits (1/32 of the
    size); search re-ranks by the full vectors, so sample_data's answers are vector storage's."""
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    name = unique_name()
    coll = make_collection(conn, embedder, name, storage="binary")
    assert coll.storage == "binary" and coll.vector_type == "vector"
    ingest_paths(conn, coll, embedder, [str(SAMPLE_DATA)])
    collection = sample_collection
    index = conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexname = 'chunks_embedding_idx'",
                         (coll.schema,)).fetchone()[0]
    assert "binary_quantize(embedding)" in index and "bit_hamming_ops" in index, index
    for query in ("I was charged twice for the same order", "how do I reset my password"):
        for mode in ("semantic", "hybrid"):
            got = [h.doc_id for h in Searcher(conn, coll, embedder).run(query, mode, SearchOptions(k=3))]
            want = [h.doc_id for h in Searcher(conn, collection, embedder).run(query, mode, SearchOptions(k=3))]
            assert got == want, (query, mode)
    status = json.loads(run_cli("status", "-c", name, "-f", "json").stdout)
    assert status["storage"] == "binary" and status["hnsw_index_bytes"] > 0


def test_embeddings_are_kept_in_the_row_and_indexed_with_ef_construction_128(conn: Any, sample_collection: Any) -> None:
    """The embedding column is STORAGE MAIN (in the chunk's row, not TOAST: an exact ranking of a
    narrow filter's chunks reads one page per chunk), the HNSW index is built with
    ef_construction 128 (docs/performance.md)."""
    schema = sample_collection.schema
    storage = conn.execute("SELECT attstorage FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'embedding'",
                           (f'"{schema}".chunks',)).fetchone()[0]
    assert storage == "m"
    index = conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexname = 'chunks_embedding_idx'",
                         (schema,)).fetchone()[0]
    assert "m='16'" in index and "ef_construction='128'" in index, index


def test_a_registry_from_before_binary_storage_is_upgraded_by_init(conn: Any) -> None:
    conn.execute("ALTER TABLE pgvsearch.collections DROP CONSTRAINT collections_storage_check")
    conn.execute("ALTER TABLE pgvsearch.collections ADD CONSTRAINT collections_storage_check CHECK (storage IN ('vector', 'halfvec')) NOT VALID")  # binary rows exist already
    result = run_cli("init", "-c", unique_name(), "--storage", "binary", "-f", "json")
    assert result.returncode == 0 and json.loads(result.stdout)["storage"] == "binary", result.stderr
    definition = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'collections_storage_check' "
                              "AND conrelid = 'pgvsearch.collections'::regclass").fetchone()[0]
    assert "binary" in definition


def test_prune_keeps_files_that_still_exist_but_were_not_selected(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    (tmp_path / "a.md").write_text("# A\n\nalpha\n")
    (tmp_path / "b.txt").write_text("beta text\n")
    records = tmp_path / "r.jsonl"
    records.write_text(json.dumps({"_id": "r1", "text": "one"}) + "\n" + json.dumps({"_id": "r2", "text": "two"}) + "\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert set(_docs(conn, collection)) == {"a.md", "b.txt", "r1", "r2"}
    # Only Markdown this time: the text file and the JSONL records still exist and stay.
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)], include=["*.md"], prune=True)
    assert report.deleted == 0 and set(_docs(conn, collection)) == {"a.md", "b.txt", "r1", "r2"}
    # A record removed from a JSONL file that was read in full is gone; so is a deleted file.
    records.write_text(json.dumps({"_id": "r1", "text": "one"}) + "\n")
    (tmp_path / "b.txt").unlink()
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert report.deleted == 2 and set(_docs(conn, collection)) == {"a.md", "r1"}
    # A malformed line keeps the records of its file: the record it held may still be there.
    records.write_text(json.dumps({"_id": "r1", "text": "one"}) + "\n{not json\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    records.write_text("{not json\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert report.deleted == 0 and "r1" in _docs(conn, collection)


def test_progress_bar_on_a_terminal(collection: Any, tmp_path: Path) -> None:
    """On a terminal ingest shows progress on stderr; the run must work exactly as when piped."""
    import os
    import pty
    import subprocess
    import sys

    for i in range(3):
        (tmp_path / f"n{i}.md").write_text(f"# Note {i}\n\ntext {i}\n")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pgvsearch", "ingest", str(tmp_path), "-c", collection.name],
                            stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        output += data
    assert proc.wait(timeout=120) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert "3 added" in text and "Traceback" not in text


def test_int8_is_the_default_for_documents_and_queries_use_fp32(conn: Any, embedder: Any, settings: Any, tmp_path: Path) -> None:
    import numpy as np

    from pgvsearch.embedding import load_embedder

    name = unique_name()
    created = run_cli("init", "-c", name, "-f", "json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["precision"] == "int8"
    again = run_cli("init", "-c", name, "-f", "json")  # no --precision: keeps the collection's
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False
    other = run_cli("init", "-c", name, "--precision", "fp32")
    assert other.returncode == 4 and "int8" in other.stderr and "Traceback" not in other.stderr

    shutil.copytree(SAMPLE_DATA / "billing", tmp_path / "billing")
    assert run_cli("ingest", str(tmp_path), "-c", name, "-q").returncode == 0
    query = "I was charged twice for the same order"
    result = run_cli("search", query, "-c", name, "-k", "3", "-f", "json")
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits[0]["doc_id"] == "billing/refunds-and-duplicate-charges.md"

    # The stored vectors are the int8 model's; the query vector is fp32 (== sentence-transformers).
    int8 = load_embedder(embedder.model_name, cache_dir=settings.model_cache, precision="int8")
    row = conn.execute(
        f'SELECT c.embedding::text, c.content, c.context FROM "pgvs_{name}".chunks c JOIN "pgvs_{name}".documents d '
        "ON d.id = c.document_id WHERE d.doc_id = %s AND c.position = %s",
        (hits[0]["doc_id"], hits[0]["chunk"]),
    ).fetchone()
    from pgvsearch.chunking import Chunk

    stored = np.array(json.loads(row[0]), dtype=np.float32)
    text = Chunk(hits[0]["chunk"], row[1], row[2]).embed_text
    # int8 activations are quantized with one scale per batch, so the same text embedded in
    # another batch differs slightly (cosine ~0.997): the stored vector is close to both models'
    # but is not the fp32 one.
    assert np.dot(stored, int8.embed([text])[0]) > 0.99
    assert 0.99 < np.dot(stored, embedder.embed([text])[0]) < 0.9999
    assert abs(hits[0]["similarity"] - float(np.dot(stored, embedder.embed([query])[0]))) < 1e-4


def test_ingest_refuses_an_embedder_of_another_precision(conn: Any, embedder: Any) -> None:
    from pgvsearch.errors import ConfigError
    from pgvsearch.ingest import ingest_paths

    coll = make_collection(conn, embedder, unique_name(), precision="int8")
    with pytest.raises(ConfigError, match="int8 document embeddings but the embedder is fp32"):
        ingest_paths(conn, coll, embedder, [str(SAMPLE_DATA / "billing")])
    assert conn.execute(f'SELECT count(*) FROM "{coll.schema}".documents').fetchone()[0] == 0


def _vector_index_oid(conn: Any, coll: Any) -> int | None:
    row = conn.execute("SELECT to_regclass(%s)::oid", (f'"{coll.schema}".chunks_embedding_idx',)).fetchone()
    return row[0] if row else None


def test_first_load_builds_the_vector_index_once_and_a_missing_index_is_rebuilt(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths
    from pgvsearch.search import SearchOptions, Searcher

    kb = tmp_path / "kb"
    shutil.copytree(SAMPLE_DATA / "billing", kb)
    created = _vector_index_oid(conn, collection)
    assert created is not None  # init makes it
    first = ingest_paths(conn, collection, embedder, [str(kb)])
    built = _vector_index_oid(conn, collection)
    assert first.added and first.index_seconds > 0 and built not in (None, created)
    # The index is a working HNSW index over every chunk, and the planner has statistics.
    n_chunks = conn.execute(f'SELECT count(*) FROM "{collection.schema}".chunks').fetchone()[0]
    reltuples = conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s", (built,)).fetchone()[0]
    assert reltuples == n_chunks == first.chunks
    analyzed = conn.execute(
        "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = %s AND relname = 'postings'", (collection.schema,)
    ).fetchone()
    assert analyzed == (True,)

    # Later ingests into a non-empty collection insert into the existing index.
    (kb / "new.md").write_text("# Wire transfers\n\nInternational wire transfers take three business days.\n")
    second = ingest_paths(conn, collection, embedder, [str(kb)])
    assert second.added == 1 and second.index_seconds == 0 and _vector_index_oid(conn, collection) == built

    # An index lost to a bulk load that was killed is rebuilt by the next ingest, even one
    # that changes nothing; `status` says it is missing meanwhile.
    conn.execute(f'DROP INDEX "{collection.schema}".chunks_embedding_idx')
    status = run_cli("status", "-c", collection.name, "-f", "table")
    assert status.returncode == 0 and "hnsw_index" in status.stdout and "missing" in status.stdout
    assert json.loads(run_cli("status", "-c", collection.name, "-f", "json").stdout)["hnsw_index_bytes"] is None
    third = ingest_paths(conn, collection, embedder, [str(kb)])
    assert third.embedded_chunks == 0 and third.index_seconds > 0 and _vector_index_oid(conn, collection) is not None
    hits = Searcher(conn, collection, embedder).run("money sent abroad by wire", "semantic", SearchOptions(k=1))
    assert hits[0].doc_id == "new.md"
    # Re-running init repairs it too.
    conn.execute(f'DROP INDEX "{collection.schema}".chunks_embedding_idx')
    assert run_cli("init", "-c", collection.name).returncode == 0 and _vector_index_oid(conn, collection) is not None


def test_prune_reads_a_hash_in_a_path_as_part_of_the_name(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    (tmp_path / "C#").mkdir()
    (tmp_path / "C").mkdir()
    (tmp_path / "C#" / "intro.md").write_text("# Delegates\n\nDelegates and events in dotnet.\n")
    (tmp_path / "C#" / "old.md").write_text("# Old\n\nAn outdated note.\n")
    (tmp_path / "C" / "pointers.md").write_text("# Pointers\n\nPointer arithmetic.\n")
    (tmp_path / "pasta.txt").write_text("Pasta al dente.\n")
    records = tmp_path / "q#a.jsonl"
    records.write_text(json.dumps({"_id": "r1", "text": "one"}) + "\n" + json.dumps({"_id": "r2", "text": "two"}) + "\n")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    everything = {"C#/intro.md", "C#/old.md", "C/pointers.md", "pasta.txt", "r1", "r2"}
    assert set(_docs(conn, collection)) == everything
    # Files left out by --include, or too big this time, still exist: they stay.
    assert ingest_paths(conn, collection, embedder, [str(tmp_path)], include=["*.txt"], prune=True).deleted == 0
    assert ingest_paths(conn, collection, embedder, [str(tmp_path)], max_bytes=10, prune=True).deleted == 0
    assert set(_docs(conn, collection)) == everything
    # A file deleted from C#/ goes (although C/ exists), and so does a record of q#a.jsonl.
    (tmp_path / "C#" / "old.md").unlink()
    records.write_text(json.dumps({"_id": "r1", "text": "one"}) + "\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert report.deleted == 2 and set(_docs(conn, collection)) == everything - {"C#/old.md", "r2"}


def test_init_refuses_to_change_the_settings_of_an_existing_collection(collection: Any) -> None:
    assert (collection.chunk_tokens, collection.chunk_overlap) == (128, 0)  # the defaults
    for option in (["--chunk-tokens", "256"], ["--chunk-overlap", "16"], ["--storage", "halfvec"], ["--text-config", "simple"]):
        result = run_cli("init", "-c", collection.name, *option)
        assert result.returncode == 4 and "fixed when a collection is created" in result.stderr, (option, result.stderr)
    same = run_cli("init", "-c", collection.name, "--chunk-tokens", "128", "--chunk-overlap", "0", "--storage", "auto",
                   "--text-config", "english", "-f", "json")
    assert same.returncode == 0 and json.loads(same.stdout)["created"] is False, same.stderr


def test_ingest_options_are_checked_first_and_a_failed_run_still_writes_its_report(collection: Any, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Zebras\n\nZebras in the savanna.\n")
    report_file = tmp_path / "report.json"
    result = run_cli("ingest", str(docs), "-c", collection.name, "-f", "csv", "--report", str(report_file))
    assert result.returncode == 2 and result.stdout == ""
    assert json.loads(report_file.read_text())["error"].startswith("error: ingest --format takes json")
    assert run_cli("ingest", str(docs), "-c", collection.name, "-q", "--report", str(report_file)).returncode == 0
    assert json.loads(report_file.read_text())["added"] == 1 and json.loads(report_file.read_text())["error"] is None
    # Runs that fail (unknown collection: 4; unreachable database: 5) overwrite the last report with theirs.
    failed = run_cli("ingest", str(docs), "-c", "no_such_collection", "-q", "--report", str(report_file))
    report = json.loads(report_file.read_text())
    assert failed.returncode == 4 and report["added"] == 0 and "no_such_collection" in report["error"]
    failed = run_cli("ingest", str(docs), "-q", "--dsn", "postgresql://u:s3cret@127.0.0.1:1/db", "--report", str(report_file))
    report = json.loads(report_file.read_text())
    assert failed.returncode == 5 and report["error"].startswith("error:") and "s3cret" not in report_file.read_text()


def test_stdin_obeys_max_size_and_a_prune_is_not_called_nothing_changed(collection: Any, tmp_path: Path) -> None:
    result = run_cli("ingest", "-", "-c", collection.name, "--max-size", "0.00001", "-f", "json", input="x " * 100)
    assert result.returncode == 3 and json.loads(result.stdout)["skipped_inputs"][0]["reason"].startswith("larger than max size")
    (tmp_path / "a.md").write_text("# A\n\nalpha\n")
    (tmp_path / "b.md").write_text("# B\n\nbeta\n")
    assert run_cli("ingest", str(tmp_path), "-c", collection.name, "-q").returncode == 0
    (tmp_path / "b.md").unlink()
    result = run_cli("ingest", str(tmp_path), "-c", collection.name, "--prune")
    assert result.returncode == 0 and "1 deleted" in result.stderr and "nothing changed" not in result.stderr, result.stderr


def test_a_doc_id_is_not_taken_from_a_file_that_still_exists_and_a_known_file_keeps_its_id(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    from pgvsearch.ingest import ingest_paths

    a, b = tmp_path / "a", tmp_path / "b"
    (a / "sub").mkdir(parents=True)
    b.mkdir()
    (a / "README.md").write_text("# Alpha\n\nThe alpha project.\n")
    (a / "sub" / "deep.md").write_text("# Deep\n\nA deep note.\n")
    (b / "README.md").write_text("# Beta\n\nThe beta project.\n")
    assert ingest_paths(conn, collection, embedder, [str(a)]).added == 2
    # b/README.md would get doc_id README.md, which a/README.md holds: skipped, not overwritten.
    report = ingest_paths(conn, collection, embedder, [str(b)])
    assert (report.added, report.updated) == (0, 0)
    assert [s["path"] for s in report.skipped] == [str(b / "README.md")] and "already holds" in report.skipped[0]["reason"]
    assert _docs(conn, collection)["README.md"]["title"] == "Alpha"
    # The same file reached from a subfolder, or named alone, keeps the doc_id it has: no duplicate.
    for path in (a / "sub", a / "sub" / "deep.md"):
        report = ingest_paths(conn, collection, embedder, [str(path)], prune=True)
        assert (report.added, report.unchanged, report.deleted, report.skipped) == (0, 1, 0, [])
    assert set(_docs(conn, collection)) == {"README.md", "sub/deep.md"}
    # The same folder through a symbolic link is the same files.
    link = tmp_path / "link"
    link.symlink_to(a, target_is_directory=True)
    report = ingest_paths(conn, collection, embedder, [str(link)])
    assert report.added == 0 and not report.skipped and set(_docs(conn, collection)) == {"README.md", "sub/deep.md"}
    link.unlink()
    # A moved folder takes its doc_ids over (the files they named are gone).
    moved = tmp_path / "moved"
    a.rename(moved)
    report = ingest_paths(conn, collection, embedder, [str(moved)])
    assert report.added == 0 and not report.skipped and set(_docs(conn, collection)) == {"README.md", "sub/deep.md"}
    # A new file whose name clashes from the subfolder waits for the wider folder.
    (moved / "sub" / "README.md").write_text("# Sub readme\n\nThe sub project.\n")
    report = ingest_paths(conn, collection, embedder, [str(moved / "sub")])
    assert report.added == 0 and [s["path"] for s in report.skipped] == [str(moved / "sub" / "README.md")]
    report = ingest_paths(conn, collection, embedder, [str(moved)])
    assert report.added == 1 and not report.skipped
    assert {k: v["title"] for k, v in _docs(conn, collection).items()} == {"README.md": "Alpha", "sub/deep.md": "Deep", "sub/README.md": "Sub readme"}


def test_narrower_then_wider_folder_gives_every_file_its_wider_doc_id(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    top = tmp_path / "d1"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "a.md").write_text("# Sub A\n\nVolcanoes erupt.\n")
    assert ingest_paths(conn, collection, embedder, [str(top / "sub")]).added == 1
    assert {k: v["title"] for k, v in _docs(conn, collection).items()} == {"a.md": "Sub A"}
    (top / "a.md").write_text("# Top A\n\nGlaciers retreat.\n")
    report = ingest_paths(conn, collection, embedder, [str(top)])
    assert not report.skipped, report.skipped
    assert {k: v["title"] for k, v in _docs(conn, collection).items()} == {"a.md": "Top A", "sub/a.md": "Sub A"}
    again = ingest_paths(conn, collection, embedder, [str(top)])
    assert (again.unchanged, again.embedded_chunks, again.skipped) == (2, 0, [])
    # The subfolder alone now keeps the wider doc_ids.
    again = ingest_paths(conn, collection, embedder, [str(top / "sub")])
    assert (again.unchanged, again.embedded_chunks, again.skipped) == (1, 0, [])
    # Only the wider folder, without a clash: the narrower doc_id is retired, no duplicate left.
    solo = tmp_path / "d2"
    (solo / "sub").mkdir(parents=True)
    (solo / "sub" / "only.md").write_text("# Only\n\nA single note.\n")
    ingest_paths(conn, collection, embedder, [str(solo / "sub")])
    assert "only.md" in _docs(conn, collection)
    ingest_paths(conn, collection, embedder, [str(solo)])
    docs = _docs(conn, collection)
    assert "sub/only.md" in docs and "only.md" not in docs


def test_jsonl_records_on_stdin_keep_their_ids(conn: Any, collection: Any) -> None:
    first = '{"_id": "a", "text": "text A about apples"}\n{"_id": "b", "text": "text B about bananas"}\n'
    second = '{"_id": "z", "text": "text Z about zebras"}\n' + first
    for data in (first, second):
        result = run_cli("ingest", "-", "-c", collection.name, "-q", input=data)
        assert result.returncode == 0, result.stderr
    texts = dict(conn.execute(
        f'SELECT d.doc_id, c.content FROM "{collection.schema}".documents d JOIN "{collection.schema}".chunks c ON c.document_id = d.id'
    ).fetchall())
    assert texts == {"a": "text A about apples", "b": "text B about bananas", "z": "text Z about zebras"}


def test_init_leaves_a_missing_index_to_a_running_ingest_and_a_parallel_build_falls_back(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from pgvsearch.store import vector_index
    from pgvsearch.store import acquire_ingest_lock, release_ingest_lock
    from pgvsearch.ingest import ingest_paths

    shutil.copytree(SAMPLE_DATA / "billing", tmp_path / "billing")
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    conn.execute(f'DROP INDEX "{collection.schema}".chunks_embedding_idx')
    # An ingest holds the collection (a first load, say): init does not build under it.
    with psycopg.connect(conn.info.dsn, autocommit=True) as other:
        acquire_ingest_lock(other, collection.name, wait=False)
        assert run_cli("init", "-c", collection.name).returncode == 0
        assert _vector_index_oid(conn, collection) is None
        release_ingest_lock(other, collection.name)
    # A parallel build that runs out of shared memory is done again without workers.
    calls: list[bool] = []
    real_build = vector_index._build

    def build(c: Any, coll: Any, *, parallel: bool) -> None:
        calls.append(parallel)
        if parallel:
            raise psycopg.errors.DiskFull("could not resize shared memory segment: No space left on device")
        real_build(c, coll, parallel=parallel)

    monkeypatch.setattr(vector_index, "_build", build)
    vector_index.repair_vector_index(conn, collection)
    assert calls == [True, False] and _vector_index_oid(conn, collection) is not None


def _ids(conn: Any, coll: Any) -> dict[str, str]:
    rows = conn.execute(f'SELECT d.doc_id, min(c.content) FROM "{coll.schema}".documents d JOIN "{coll.schema}".chunks c ON c.document_id = d.id GROUP BY 1').fetchall()
    return dict(rows)


def test_overlapping_arguments_read_each_file_once_under_the_widest_folder(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    top = tmp_path / "s1"
    (top / "sub").mkdir(parents=True)
    (top / "x.md").write_text("apple\n")
    (top / "sub" / "x.md").write_text("banana\n")
    for paths in ([top / "sub", top], [top, top / "x.md", top / "sub"]):
        report = ingest_paths(conn, collection, embedder, [str(p) for p in paths])
        assert not report.skipped, report.skipped
        assert _ids(conn, collection) == {"x.md": "apple", "sub/x.md": "banana"}


def test_records_follow_their_file_and_move_between_files(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    top = tmp_path / "s4"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "c.jsonl").write_text('{"text": "one"}\n{"text": "two"}\n')
    ingest_paths(conn, collection, embedder, [str(top)])
    for path in (top / "sub", top):
        report = ingest_paths(conn, collection, embedder, [str(path)], prune=True)
        assert (report.added, report.deleted, report.skipped) == (0, 0, [])
    assert _ids(conn, collection) == {"sub/c.jsonl#L1": "one", "sub/c.jsonl#L2": "two"}
    # A record (with an id) moved to another JSONL file of the same folder takes its id along.
    (top / "f1.jsonl").write_text('{"_id": "k1", "text": "g"}\n{"_id": "k2", "text": "h"}\n')
    (top / "f2.jsonl").write_text('{"_id": "k3", "text": "k"}\n')
    ingest_paths(conn, collection, embedder, [str(top)])
    (top / "f1.jsonl").write_text('{"_id": "k1", "text": "g"}\n')
    (top / "f2.jsonl").write_text('{"_id": "k3", "text": "k"}\n{"_id": "k2", "text": "h edited"}\n')
    report = ingest_paths(conn, collection, embedder, [str(top)])
    assert not report.skipped and _ids(conn, collection)["k2"] == "h edited"
    # Records that only moved to other lines of their file are unchanged.
    (top / "f2.jsonl").write_text('{"_id": "k0", "text": "new first line"}\n{"_id": "k3", "text": "k"}\n{"_id": "k2", "text": "h edited"}\n')
    report = ingest_paths(conn, collection, embedder, [str(top)])
    assert (report.added, report.updated, report.skipped) == (1, 0, [])


def test_stdin_documents_are_not_overwritten_by_files_and_chains_resolve_in_one_run(
    conn: Any, embedder: Any, collection: Any, tmp_path: Path
) -> None:
    import io

    from pgvsearch.ingest import ingest_paths

    ingest_paths(conn, collection, embedder, ["-"], stdin=io.BytesIO(b'{"_id": "notes.md", "text": "mango"}\n'))
    (tmp_path / "s6").mkdir()
    (tmp_path / "s6" / "notes.md").write_text("lemon\n")
    report = ingest_paths(conn, collection, embedder, [str(tmp_path / "s6")])
    assert report.added == 0 and "standard input" in report.skipped[0]["reason"] and _ids(conn, collection) == {"notes.md": "mango"}
    # Stored from ever wider folders, then the widest: every file gets its id in one run.
    top = tmp_path / "s9"
    (top / "n" / "m").mkdir(parents=True)
    (top / "m").mkdir()
    (top / "a.md").write_text("B\n")
    (top / "m" / "a.md").write_text("A\n")
    (top / "n" / "m" / "a.md").write_text("C\n")
    conn.execute(f'DELETE FROM "{collection.schema}".documents')
    for path in (top / "n", top / "m"):
        ingest_paths(conn, collection, embedder, [str(path)])
    report = ingest_paths(conn, collection, embedder, [str(top)])
    assert not report.skipped, report.skipped
    assert _ids(conn, collection) == {"a.md": "B", "m/a.md": "A", "n/m/a.md": "C"}


def test_a_file_name_that_is_not_utf8_is_never_pruned_or_overwritten_by_mistake(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    import os

    from pgvsearch.ingest import ingest_paths

    s3, s3b = tmp_path / "s3", tmp_path / "s3b"
    s3.mkdir()
    s3b.mkdir()
    (s3 / "a.md").write_text("alpha\n")
    name = os.fsdecode(b"caf\xe9.md")
    (s3 / name).write_text("cherry\n")
    (s3b / name).write_text("durian\n")
    ingest_paths(conn, collection, embedder, [str(s3)])
    assert ingest_paths(conn, collection, embedder, [str(s3)], include=["a.md"], prune=True).deleted == 0
    report = ingest_paths(conn, collection, embedder, [str(s3b)])
    assert report.updated == 0 and len(report.skipped) == 1
    assert sorted(_ids(conn, collection).values()) == ["alpha", "cherry"]


def test_a_symlink_to_a_walked_file_and_dotdot_paths_do_not_make_second_doc_ids(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    from pgvsearch.ingest import ingest_paths

    top = tmp_path / "a"
    (top / "sub").mkdir(parents=True)
    (top / "real.md").write_text("real text version one\n")
    (top / "link.md").symlink_to("real.md")
    (top / "sub" / "x.md").write_text("sub file x\n")
    (top / "sub" / "gone.md").write_text("delete me\n")
    ingest_paths(conn, collection, embedder, [str(top / "sub")])
    (top / "sub" / "gone.md").unlink()
    report = ingest_paths(conn, collection, embedder, [f"{top}/sub/../sub"], prune=True)
    assert (report.deleted, report.updated, report.unchanged) == (1, 0, 1)
    ingest_paths(conn, collection, embedder, [f"{top}/sub/.."], prune=True)
    assert _ids(conn, collection) == {"real.md": "real text version one", "sub/x.md": "sub file x"}
    (top / "real.md").write_text("real text version two\n")
    ingest_paths(conn, collection, embedder, [str(top)], prune=True)
    assert _ids(conn, collection) == {"real.md": "real text version two", "sub/x.md": "sub file x"}


def test_statistics_are_kept_per_statement_and_init_replaces_the_old_row_trigger(conn: Any, embedder: Any, collection: Any, tmp_path: Path) -> None:
    """The BM25 statistics row is updated once per statement (a row trigger made a dead version
    of it per document, which a long transaction elsewhere kept unprunable: a table source's
    first sync of 100,000 rows spent 3x longer writing). A collection made by an earlier version
    still has the row trigger; `init` replaces it, and the counts stay exact."""
    from pgvsearch.ingest import ingest_paths

    s = collection.schema

    def triggers() -> set[str]:  # the stats triggers (documents_pairs_* keep the filter's pairs)
        rows = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgname LIKE 'documents_stats%%'",
            (f'"{s}".documents',),
        )
        return {r[0] for r in rows}

    def exact() -> bool:
        stats = conn.execute(f'SELECT n_docs, total_length, n_chunks FROM "{s}".stats').fetchone()
        truth = conn.execute(
            f'SELECT count(*), coalesce(sum(doc_length), 0), (SELECT count(*) FROM "{s}".chunks) FROM "{s}".documents'
        ).fetchone()
        return tuple(stats) == tuple(truth)

    assert triggers() == {"documents_stats_insert", "documents_stats_delete", "documents_stats_update"}
    row_level = conn.execute(
        "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgtype & 1 = 1", (f'"{s}".documents',)
    ).fetchone()[0]
    assert row_level == 0  # TRIGGER_TYPE_ROW: none fires per row
    for i in range(30):
        (tmp_path / f"d{i}.txt").write_text(f"document {i} " + "pear " * (i + 1))
    ingest_paths(conn, collection, embedder, [str(tmp_path)])
    assert exact()

    # The row trigger of an earlier version, as it was installed, and its stats row without the chunk count.
    conn.execute(f"""
        ALTER TABLE "{s}".stats DROP COLUMN n_chunks;
        DROP TRIGGER documents_stats_insert ON "{s}".documents;
        DROP TRIGGER documents_stats_delete ON "{s}".documents;
        DROP TRIGGER documents_stats_update ON "{s}".documents;
        CREATE FUNCTION "{s}".maintain_stats() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE "{s}".stats SET n_docs = n_docs + 1, total_length = total_length + NEW.doc_length;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE "{s}".stats SET n_docs = n_docs - 1, total_length = total_length - OLD.doc_length;
            ELSE
                UPDATE "{s}".stats SET total_length = total_length - OLD.doc_length + NEW.doc_length;
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER documents_stats AFTER INSERT OR DELETE OR UPDATE OF doc_length ON "{s}".documents
            FOR EACH ROW EXECUTE FUNCTION "{s}".maintain_stats();
    """)
    conn.commit()
    make_collection(conn, embedder, collection.name)
    assert triggers() == {"documents_stats_insert", "documents_stats_delete", "documents_stats_update"}
    assert exact()  # `init` counted the chunks
    (tmp_path / "d3.txt").write_text("rewritten " * 40)
    (tmp_path / "d4.txt").unlink()
    ingest_paths(conn, collection, embedder, [str(tmp_path)], prune=True)
    assert exact()
    assert conn.execute(f'SELECT n_docs FROM "{s}".stats').fetchone()[0] == 29
