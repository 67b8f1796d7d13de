# concprof: which Python concurrency model fits this workload?
# `make help` lists the targets; a fresh clone needs only Python 3 and make.

PYTHON3 ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.concprof-installed
DEV_STAMP := $(VENV)/.concprof-dev-installed

# make profile variables (empty = the tool's default)
SCENARIO ?= io
SIZE ?=
MODELS ?=
WORKERS ?=
REPEAT ?=
RECORDERS ?=
PYTHON ?=
START_METHOD ?=
MARGIN ?=
TIMEOUT ?=
MAX_SLOWDOWN ?=
SAMPLED_ERROR ?=
RUN ?= reports/$(SCENARIO)/latest

PROFILE_ARGS = $(SCENARIO) \
	$(if $(SIZE),--size $(SIZE)) \
	$(if $(MODELS),--models $(MODELS)) \
	$(if $(WORKERS),--workers $(WORKERS)) \
	$(if $(REPEAT),--repeat $(REPEAT)) \
	$(if $(RECORDERS),--recorders $(RECORDERS)) \
	$(if $(PYTHON),--python $(PYTHON)) \
	$(if $(START_METHOD),--start-method $(START_METHOD)) \
	$(if $(MARGIN),--margin $(MARGIN)) \
	$(if $(TIMEOUT),--timeout $(TIMEOUT)) \
	$(if $(MAX_SLOWDOWN),--max-slowdown $(MAX_SLOWDOWN)) \
	$(if $(SAMPLED_ERROR),--sampled-error $(SAMPLED_ERROR)) \
	$(if $(LOOP_STALL_MS),--loop-stall-ms $(LOOP_STALL_MS)) \
	$(if $(DASK_SCHEDULER),--dask-scheduler $(DASK_SCHEDULER)) \
	$(if $(DASK_THREADS),--dask-threads $(DASK_THREADS))

.DEFAULT_GOAL := help
.PHONY: help profile record attach claims report view list doctor test test-fast lint bench clean venv python-ft screenshot compare

help: ## Show this help
	@echo "usage: make TARGET [VAR=value ...]"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-10s %s\n", $$1, $$2}'
	@echo
	@echo "profile variables: SCENARIO=<name>|path/to/file.py (make list: io cpu mixed ipc blocking"
	@echo "  release holds spawn fanout gil files syscalls independent shared tiny chunky)"
	@echo "  SIZE=quick|default|large"
	@echo "  MODELS=sequential,threads,processes,asyncio[,dask]  WORKERS=N (or 1,2,4: a sweep)  REPEAT=N"
	@echo "  RECORDERS=auto|none|name,name  PYTHON=3.13|/path/to/python  START_METHOD=fork|spawn|forkserver (or several: a sweep)"
	@echo "  MARGIN=5 (percent: differences inside it are 'same')  TIMEOUT=600 (s per model run)"
	@echo "  MAX_SLOWDOWN=1.5 (how much perf's GIL probes may slow an observed run)"
	@echo "  SAMPLED_ERROR=5 (points: py-spy's shares must be this sure to be shown)"
	@echo "  LOOP_STALL_MS=10 (asyncio: an event-loop callback this long is a stall)"
	@echo "  DASK_SCHEDULER=tcp://HOST:PORT (dask: an existing cluster; default a LocalCluster)"
	@echo "  DASK_THREADS=1 (dask: threads per LocalCluster worker)"

# pip's output goes to $(PIP_LOG), shown only when it fails
PIP_LOG := $(VENV)/pip.log
PIP = $(PY) -m pip install --disable-pip-version-check
# (named: a comma cannot be written inside $(call ...)); dask: the dask model's cluster,
# installed when MODELS names it (and for the tests)
EXTRAS := .[recorders]
DASK_EXTRAS := .[recorders,dask]
DEV_EXTRAS := .[recorders,dask,dev]
DASK_STAMP := $(VENV)/.dask-installed
WANTS_DASK := $(if $(findstring dask,$(MODELS)),$(DASK_STAMP))
define quietly
	@$(1) >> $(PIP_LOG) 2>&1 || { tail -n 40 $(PIP_LOG); echo "pip failed: the whole log is $(PIP_LOG)"; exit 1; }
endef

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	@echo "installing concprof into $(VENV) (once; pip's log: $(PIP_LOG))"
	$(call quietly,$(PIP) --upgrade pip)
	$(call quietly,$(PIP) -e '$(EXTRAS)')
	@touch $(STAMP)

# tests, lint and benchmarks also need the dev tools
$(DEV_STAMP): $(STAMP)
	@echo "installing the dev tools into $(VENV) (once; pip's log: $(PIP_LOG))"
	$(call quietly,$(PIP) -e '$(DEV_EXTRAS)')
	@touch $(DEV_STAMP) $(DASK_STAMP)

$(DASK_STAMP): $(STAMP)
	@echo "installing dask.distributed into $(VENV) for the dask model (once; pip's log: $(PIP_LOG))"
	$(call quietly,$(PIP) -e '$(DASK_EXTRAS)')
	@touch $(DASK_STAMP)

venv: $(DEV_STAMP) ## Create .venv with the project and its dev tools (done automatically)

profile: $(STAMP) $(WANTS_DASK) ## Profile a scenario under every model (SCENARIO=io by default)
	$(PY) -m profiler profile $(PROFILE_ARGS)

record: $(STAMP) ## Record a command of yours: threads, GIL, blame, cores (CMD="python app.py")
	$(if $(CMD),,$(error give the command: make record CMD="python app.py args"))
	$(PY) -m profiler record -- $(CMD)

attach: $(STAMP) ## Record a running process for a while (PID=1234 [DURATION=10])
	$(if $(PID),,$(error give the process: make attach PID=1234 [DURATION=10]))
	$(PY) -m profiler attach $(PID) $(if $(DURATION),--duration $(DURATION))

compare: $(STAMP) ## Compare two runs, NEW against BASE; exit 1 if a model got slower (BASE=dir NEW=dir)
	$(if $(and $(BASE),$(NEW)),,$(error give both runs: make compare BASE=reports/io/<stamp> NEW=reports/io/latest))
	$(PY) -m profiler compare $(BASE) $(NEW) $(if $(MARGIN),--margin $(MARGIN)) $(if $(MODELS),--models $(MODELS))

report: $(STAMP) ## Re-render a run directory from its saved artifacts (RUN=path)
	$(PY) -m profiler report $(RUN)

claims: $(STAMP) $(DASK_STAMP) ## Measure the article's claims (SIZE=quick by default); writes docs/claims.md
	$(PY) -m profiler claims --size $(or $(SIZE),quick) --doc docs/claims.md

view: $(STAMP) ## Open a run's trace.json in vizviewer, offline (RUN=path)
	$(PY) -m profiler view $(RUN)

list: $(STAMP) ## List the built-in scenarios
	$(PY) -m profiler list

doctor: $(STAMP) ## Say which recorders work on this machine, and how to enable the others
	$(PY) -m profiler doctor

test: $(DEV_STAMP) ## Run the whole test suite (unit, integration, end-to-end)
	MPLBACKEND=Agg $(PY) -m pytest -q --durations=25

test-fast: $(DEV_STAMP) ## Run the unit tests only
	MPLBACKEND=Agg $(PY) -m pytest -q tests/unit

lint: $(DEV_STAMP) ## ruff, mypy --strict (the workload side also as Python 3.10), the layer contracts
	$(PY) -m ruff check profiler tests bench tools
	$(PY) -m ruff format --check profiler tests bench tools
	$(PY) -m mypy
	$(PY) -m mypy --python-version 3.10 --follow-imports=silent profiler/workload
	$(VENV)/bin/lint-imports --no-cache

python-ft: ## Build CPython 3.13.5 free-threaded (PYTHON=3.13t) and with the GIL (PYTHON=3.13.5)
	bash tools/python-ft.sh

screenshot: $(STAMP) ## The README's first-screen image: profile io (SIZE=quick), docs/img/report_first_screen_io.png
	$(PY) -m profiler profile io --size quick --quiet
	$(PY) tools/first_screen.py reports/io/latest/index.html docs/img/report_first_screen_io.png

bench: $(DEV_STAMP) ## Speed and memory benchmarks; writes docs/benchmarks.md
	MPLBACKEND=Agg $(PY) bench/run.py --out docs/benchmarks.md

clean: ## Remove the venv, caches and generated reports
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find reports -mindepth 1 -maxdepth 1 ! -name README.md ! -name .gitignore -exec rm -rf {} +
