# Two commands that work on a fresh machine: `make demo` and `make test`.
# Each creates .venv from nothing (Python 3.11) and installs the project with its test extras.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test bench validate samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/facetrack measure sample_images --overlay demo/overlays
	@echo "Overlays written to demo/overlays/"

test: $(STAMP)
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_decode.py | tee benchmarks/results/bench_decode.md
	$(VENV)/bin/python benchmarks/bench_measure.py
	$(VENV)/bin/python benchmarks/bench_pose.py
	$(VENV)/bin/python benchmarks/bench_import.py

validate: $(STAMP)
	$(VENV)/bin/facetrack validate --out validation

samples: $(STAMP)
	$(VENV)/bin/python tools/make_sample_images.py

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis
