# Hadir — the README's commands. `make demo` runs the whole system on embedded
# defaults; `make test` passes the tests. Both install what is missing first.

PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: install system-deps demo demo-check test test-fast lint fuzz bench-ingest bench-tpp bench-face clean

.venv/.synced: uv.lock pyproject.toml protocol/pyproject.toml edge/pyproject.toml cloud/pyproject.toml
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet 'uv==0.13.9'
	uv sync --frozen
	@touch $@

install: .venv/.synced ## Python environment from the lock file

system-deps: ## Debian packages a fresh machine lacks (root)
	bash scripts/system-deps.sh

demo: system-deps install ## the whole system: broker, database, ingest, portal, two kiosks
	$(PY) demo/run.py

demo-check: system-deps install ## the same, headless: exits 0 when every check-in is in the portal
	$(PY) demo/run.py --check

test: system-deps install ## the whole test suite (real PostgreSQL, Mosquitto, gpsd, dlib, Chromium)
	.venv/bin/pytest

test-fast: install
	.venv/bin/pytest -m "not slow and not system and not browser"

fuzz: install ## 100,000 mutated payloads through the real ingest path into PostgreSQL; counts as JSON
	cd tests && ../$(PY) -m fuzz.run --count 100000

lint: install
	.venv/bin/ruff check protocol edge cloud tests bench demo

bench-ingest: system-deps install ## MQTT → database ingest against its baselines
	$(PY) bench/bench_ingest.py

bench-tpp: install ## a month of TPP for 10,000 and 100,000 employees
	$(PY) bench/bench_tpp.py

bench-face: install ## the kiosk's time per frame against naive face_recognition; a face appears → "tercatat"
	$(PY) bench/bench_face.py

clean:
	rm -rf .venv .demo .pytest_cache

.PHONY: i18n
I18N_SRC := cloud/src/hadir_cloud
I18N_DIR := cloud/src/hadir_cloud/portal/translations
i18n: install ## extract the portal's Bahasa strings, update the English catalog, compile it
	@pot=$$(mktemp --suffix=.pot) && \
	.venv/bin/pybabel extract -F cloud/babel.cfg -k _l -k N_ --sort-by-file --no-wrap \
	  --project=Hadir --msgid-bugs-address= -o $$pot $(I18N_SRC) && \
	.venv/bin/pybabel update -i $$pot -d $(I18N_DIR) -l en --no-wrap --ignore-obsolete \
	  --init-missing && \
	rm -f $$pot
	.venv/bin/pybabel compile -d $(I18N_DIR) --statistics

.PHONY: bench-portal
BENCH_PORTAL_ARGS ?=
bench-portal: install ## 50 locust users on the portal's pages over 10,000 employees × a year of check-ins
	$(PY) bench/bench_portal.py $(BENCH_PORTAL_ARGS)

.PHONY: docs-screenshots
docs-screenshots: system-deps install ## the browser tests, copying their screenshots into docs/screenshots/
	HADIR_DOCS_SCREENSHOTS=1 .venv/bin/pytest -m browser
