# The two commands of the README: `make demo` and `make test`.
# Everything else here is what those two need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: bench demo test lint test-sqlite test-postgres sysdeps messages compile-messages clean cluster-test

demo: $(VENV)/.installed
	$(BIN)/minsheng demo --port $(PORT)

test: $(VENV)/.installed sysdeps lint test-sqlite test-postgres

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python scripts/check_messages.py

test-sqlite: $(VENV)/.installed
	$(BIN)/python -m pytest

# The same suite again on a throwaway PostgreSQL server the script starts and stops itself.
test-postgres: $(VENV)/.installed
	scripts/with-postgres $(BIN)/python -m pytest -m "not browser"

# Debian's chromium for the browser test, CJK fonts for readable screenshots.
sysdeps:
	scripts/install-system-deps

$(VENV)/.installed: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

# Every benchmark in bench/, each beside its baseline (pandana, networkx, spopt, a minimal
# Django view, hand-written SQL); figures go to bench/RESULTS.md. tests/test_make.py holds the list.
bench: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	$(BIN)/python bench/lifecircle_bench.py
	$(BIN)/python bench/siting_bench.py
	scripts/with-postgres $(BIN)/python bench/cases_bench.py --seconds 15
	scripts/with-postgres $(BIN)/python bench/indicators_bench.py
	scripts/with-postgres $(BIN)/python bench/province_bench.py
	$(BIN)/python bench/assistance_cycle_bench.py
	$(BIN)/python bench/device_alarms_bench.py
	scripts/with-postgres $(BIN)/python bench/assistance_cycle_bench.py
	scripts/cluster down >/dev/null
	MINSHENG_PYTHON=$(abspath $(BIN))/python scripts/cluster up
	$(BIN)/python bench/open311_cluster_bench.py; rc=$$?; scripts/cluster down; exit $$rc

# Not part of `make test`: a local cluster (PostgreSQL, Redis, two gunicorn app servers, two
# workers, nginx; scripts/cluster installs the Debian packages when missing) under load while an
# app server and a worker are killed, then taken down again (docs/deploy.md).
cluster-test: $(VENV)/.installed
	scripts/cluster down >/dev/null
	MINSHENG_PYTHON=$(abspath $(BIN))/python scripts/cluster up
	MINSHENG_CLUSTER_URL=http://127.0.0.1:8660 $(BIN)/python -m pytest -s tests/cluster; \
	  rc=$$?; scripts/cluster down; exit $$rc

messages: $(VENV)/.installed
	cd minsheng && DJANGO_SETTINGS_MODULE=minsheng.settings ../$(BIN)/django-admin makemessages -l en --ignore 'static/*' --ignore 'locale/*'
	@echo "Translate the new entries in minsheng/locale/en/LC_MESSAGES/django.po, then: make compile-messages"

compile-messages: $(VENV)/.installed
	cd minsheng && DJANGO_SETTINGS_MODULE=minsheng.settings ../$(BIN)/django-admin compilemessages -l en
	$(BIN)/python scripts/check_messages.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
