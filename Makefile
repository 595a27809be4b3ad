# Quick start: `make crawl` (set up, migrate, crawl the Morning Star), `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SITE ?= morningstar
DATA_DIR ?= data
# what the PostgreSQL pass runs: the whole suite, of which tests/conftest.py keeps every test that touches
# the index (modules that never do, and the PostgreSQL-only ones, ran in the SQLite pass); name test files
# to run only those, e.g. make test-postgresql POSTGRESQL_TESTS=tests/test_query.py
POSTGRESQL_TESTS ?=

# The shared frontier's packages, installed in a second step without dependency resolution: pywb 2.10
# pins redis==2.10.6 and fakeredis<1.0, which scrapy-redis (redis>=4.2) cannot live with; replay works
# with these newer clients (tests/test_replay*.py pass with them). See the README's "Scaling out".
CLUSTER_PACKAGES ?= 'redis>=5,<7' 'scrapy-redis==0.9.1' 'fakeredis>=2.20,<3' 'sortedcontainers>=2'

.PHONY: setup crawl demo test test-postgresql browser services benchmark clean

$(BIN)/newsarchive: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps $(CLUSTER_PACKAGES)
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

# PostgreSQL and Redis on 127.0.0.1 for the tests that use them (started, or installed, if missing)
services:
	bash .ci/services

# two passes (README "Tests"): the whole suite with SQLite as the index, then every test that touches the
# index again with PostgreSQL as the index
test: $(BIN)/newsarchive browser services
	$(BIN)/python -m pytest -q
	$(MAKE) test-postgresql

# NEWSARCHIVE_TEST_DATABASE=postgresql: each index a test names by its SQLite path is a throw-away
# PostgreSQL database (named with the pytest process's pid, dropped when the test ends); tests about
# SQLite itself show as skipped, each with its reason
test-postgresql: $(BIN)/newsarchive browser services
	NEWSARCHIVE_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q $(POSTGRESQL_TESTS)

benchmark: $(BIN)/newsarchive
	$(BIN)/python benchmarks/crawl.py --articles 3000 --pairs 3
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/pip install --quiet --no-deps $(CLUSTER_PACKAGES)
	$(BIN)/python benchmarks/real_pages.py --repeat 3

clean:
	rm -rf $(VENV) demo-data build *.egg-info
