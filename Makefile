PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: test gpu demo submission labels clean

# The virtual environment is rebuilt whenever requirements.txt changes.
$(VENV)/installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

test: $(VENV)/installed
	$(PY) -m pytest -q tests

# On a machine with an NVIDIA GPU: the same environment plus TensorFlow's CUDA libraries.
gpu: $(VENV)/installed
	$(PY) -m pip install --quiet -r requirements-gpu.txt

DEMO := build/demo

# The main job on generated data: a toy MTG-Jamendo, then every command of the paper's pipeline on
# it (reproduce.sh --toy), each model's scores and the fused tables at the end. Everything goes
# below $(DEMO), which is emptied first, so two demos never mix. The toy commands read at most the
# first 5 s of a track (or a 2 s crop), so the demo's tracks are 10 s instead of 35: quicker to make.
demo: $(VENV)/installed
	rm -rf $(DEMO)
	$(PY) make_toy_dataset.py $(DEMO)/MEDIAEVAL19 --duration 10
	PATH="$(abspath $(VENV))/bin:$$PATH" ./reproduce.sh --toy $(DEMO)/MEDIAEVAL19 $(DEMO)

# Fuse the predictions AugLi submitted (a test fixture) and print the table: the official "all" row.
submission: $(VENV)/installed
	rm -rf build/submission && mkdir -p build/submission/fusion/augli-submission
	cp tests/fixtures/mediaeval2019-task/submissions/AugLi/all-predictions.npy build/submission/fusion/augli-submission/predictions.npy
	$(PY) fusion.py -mep tests/fixtures/MEDIAEVAL19 -fbp build/submission/fusion -o build/submission/fusion-results

labels: $(VENV)/installed
	$(PY) -m labels.make_labels $(SPLIT_DIR) labels

clean:
	rm -rf build $(VENV)
