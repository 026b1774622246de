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
	BRIEFBOT_HOME=.briefbot-demo $(VENV)/bin/briefbot index corpus/
	BRIEFBOT_HOME=.briefbot-demo $(VENV)/bin/briefbot search "Which sectors are targeted by espionage?" -k 3

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/bench_index.py

clean:
	rm -rf .briefbot .briefbot-demo .pytest_cache .mypy_cache .ruff_cache
