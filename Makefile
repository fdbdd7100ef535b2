# Two commands that work on a fresh machine: `make demo` and `make test`.
# Each creates .venv from nothing (Python 3.11) and installs the project with its test extras.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test bench validate samples floors clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo
	$(VENV)/bin/facetrack import sample_images/series --library demo/library --workers 2
	$(VENV)/bin/facetrack session import sample_images/series/sessions.csv --library demo/library
	$(VENV)/bin/facetrack trend --library demo/library
	$(VENV)/bin/facetrack report --out demo/report.html --library demo/library
	$(VENV)/bin/facetrack report --out demo/report.pdf --library demo/library
	$(VENV)/bin/facetrack chart --out demo/charts.png --library demo/library
	$(VENV)/bin/facetrack measure sample_images/*.jpg --overlay demo/overlays > /dev/null
	@echo
	@echo "Demo library:  demo/library ($$(tail -n +2 sample_images/series/sessions.csv | wc -l) sessions logged)"
	@echo "Report:        demo/report.html, demo/report.pdf"
	@echo "Charts:        demo/charts.png"
	@echo "Overlays:      demo/overlays/ (the five photos in sample_images/, one accepted)"
	@echo "Ground truth:  sample_images/series/truth.csv (made by tools/make_sample_series.py)"

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/bench_decode.py | tee benchmarks/results/bench_decode.md
	$(VENV)/bin/python benchmarks/bench_measure.py
	$(VENV)/bin/python benchmarks/bench_pose.py
	$(VENV)/bin/python benchmarks/bench_import.py
	$(VENV)/bin/python benchmarks/bench_capture_geometry.py
	$(VENV)/bin/python benchmarks/bench_false_alarms.py
	$(VENV)/bin/python benchmarks/bench_split_face.py

validate: $(STAMP)
	$(VENV)/bin/facetrack validate --out validation

floors: $(STAMP)
	$(VENV)/bin/python tools/write_noise_floors.py

samples: $(STAMP)
	$(VENV)/bin/python tools/make_sample_images.py

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis
