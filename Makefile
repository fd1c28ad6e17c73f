PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: test demo labels clean

# The virtual environment is rebuilt whenever requirements.txt changes.
$(VENV)/installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

test: $(VENV)/installed
	$(PY) -m pytest -q tests

# Until the toy dataset lands: fuse the submitted AugLi predictions shipped as a test fixture and
# print the table (it reproduces the official "all" row of AugLi.tsv).
demo: $(VENV)/installed
	rm -rf build/demo && mkdir -p build/demo/fusion/augli-submission
	cp tests/fixtures/mediaeval2019-task/submissions/AugLi/all-predictions.npy build/demo/fusion/augli-submission/predictions.npy
	$(PY) fusion.py -mep tests/fixtures/MEDIAEVAL19 -fbp build/demo/fusion -o build/demo/fusion-results

labels: $(VENV)/installed
	$(PY) -m labels.make_labels $(SPLIT_DIR) labels

clean:
	rm -rf build $(VENV)
