# Quick start: `make crawl` (set up, migrate, crawl the Morning Star), `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SITE ?= morningstar
DATA_DIR ?= data

.PHONY: setup crawl demo test browser benchmark clean

$(BIN)/newsarchive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/newsarchive
	$(BIN)/newsarchive db upgrade --data-dir $(DATA_DIR)

crawl: setup
	$(BIN)/newsarchive crawl $(SITE) --data-dir $(DATA_DIR)

demo: $(BIN)/newsarchive
	$(BIN)/newsarchive demo

# the replay tests drive a real headless browser: Debian's chromium (needs root to install), and
# fetch ReplayWeb.page from the npm registry with npm
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	@command -v npm >/dev/null || (apt-get update && apt-get install -y npm)

test: $(BIN)/newsarchive browser
	$(BIN)/python -m pytest -q

benchmark: $(BIN)/newsarchive
	$(BIN)/python benchmarks/crawl.py --articles 3000 --pairs 3

clean:
	rm -rf $(VENV) demo-data build *.egg-info
