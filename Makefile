# briefbot: `make demo` runs the main job on the embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: 2.13.0 is the CPU build on disk here; anything else pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/briefbot index corpus/
	$(VENV)/bin/briefbot ask "How did state-backed actors obtain chip technology, according to NGIS?"
	$(VENV)/bin/briefbot summarize corpus/sample-2024-09-joint-advisory-tidewater-router-botnet.md --length short
	$(VENV)/bin/briefbot status

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Benchmarks use ../shared (the real corpus and dev questions) and print numbers against baselines.
SHARED ?= ../shared
bench: $(STAMP)
	$(PY) benchmarks/bench_index.py $(SHARED)/corpus
	BRIEFBOT_HOME=.briefbot-bench $(VENV)/bin/briefbot index $(SHARED)/corpus
	BRIEFBOT_HOME=.briefbot-bench $(PY) benchmarks/bench_retrieval.py $(SHARED)/eval/dev_qa.jsonl
	BRIEFBOT_HOME=.briefbot-bench $(VENV)/bin/briefbot eval $(SHARED)/eval/dev_qa.jsonl --corpus $(SHARED)/corpus
	$(PY) benchmarks/bench_summarize.py
	$(PY) benchmarks/bench_slack.py

clean:
	rm -rf .briefbot .briefbot-bench .briefbot-test-cache .pytest_cache .mypy_cache .ruff_cache
