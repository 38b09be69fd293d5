# One-command setup and test. `make setup` builds .venv with uv (~7x faster than pip, and it
# hardlinks from its cache, so fresh CI envs are cheap). Without uv on the PATH it goes into a
# venv of its own (.tools/), never into the system Python.
PYTHON ?= python3.11
VENV   ?= .venv
UV     := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)

.PHONY: setup toolchain lint format test test-fast train clean
setup: $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --compile-bytecode --python $(VENV)/bin/python -e ".[dev]"
	$(VENV)/bin/python -m compileall -q src  # bytecode ahead: PYTHONDONTWRITEBYTECODE environments recompile every start

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv>=0.5"

# Root packages the tests use (Debian, ~1.3 GB; needs root): the Arm cross compiler,
# newlib and QEMU for the deploy checks' firmware build and emulator run; PostgreSQL for
# the MLflow tracking-server test; SLURM and munge for the cluster test; Chromium for the
# MLflow UI test. Skipped when already installed.
ROOT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm postgresql slurm-wlm munge chromium
toolchain:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null \
			&& ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v slurmctld >/dev/null \
			&& command -v chromium >/dev/null; then \
		echo "toolchain: Arm gcc, QEMU, PostgreSQL, SLURM and Chromium already installed"; \
	else \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(ROOT_PACKAGES); \
	fi

# ruff (lint, import order, format: `make format` applies it) and the import layers
# (pyproject.toml [tool.importlinter]): a few seconds, first in both test targets
lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(VENV)/bin/python -m pytest

# the edit-test loop: everything but the tests marked slow (training, QEMU, dvc, CLI runs)
test-fast: lint
	$(VENV)/bin/python -m pytest -m "not slow" -q

train:
	$(VENV)/bin/python train.py

clean:
	rm -rf logs outputs multirun .pytest_cache
