# One-command setup and test. `make setup` builds .venv with uv (installed on demand;
# it is ~7x faster than pip and hardlinks from its cache, so fresh CI envs are cheap).
PYTHON ?= python3.11
VENV   ?= .venv
UV     := $(shell command -v uv 2>/dev/null)

.PHONY: setup toolchain test test-fast train clean
setup:
ifndef UV
	$(PYTHON) -m pip install --quiet "uv>=0.5"
endif
	uv venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	uv pip install --python $(VENV)/bin/python -e ".[dev]"

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

test:
	$(VENV)/bin/python -m pytest

# the edit-test loop: everything but the tests marked slow (training, QEMU, dvc, CLI runs)
test-fast:
	$(VENV)/bin/python -m pytest -m "not slow" -q

train:
	$(VENV)/bin/python train.py

clean:
	rm -rf logs outputs multirun .pytest_cache
