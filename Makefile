# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

system:
	PYTHON=$(PYTHON) bash scripts/system-deps.sh

setup: system $(STAMP)

demo: setup
	$(BIN)/vigil demo --output demo-out

test: setup
	bash scripts/services.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2 -q

bench: setup
	$(BIN)/python bench/evaluate_evidence.py
	$(BIN)/python bench/evaluate_evidence.py --records 1000000
	$(BIN)/python bench/render_reports.py
	$(BIN)/python bench/large_roster.py
	$(BIN)/python bench/access_logs.py
	$(BIN)/python bench/tls_scan.py
	$(BIN)/python bench/nmap_overhead.py
	$(BIN)/python bench/pack_verify.py
	$(BIN)/python bench/aws_scan.py
	$(BIN)/python bench/history_store.py
	$(BIN)/python bench/roster_checks.py

clean:
	rm -rf $(VENV) demo-out vigil-out test-artifacts bench/out
