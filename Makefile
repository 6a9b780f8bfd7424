# LiftLab. `make run` and `make test` install what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := tests/data/sample_snatch.mp4
OUT ?= out
ARGS ?=

.PHONY: install run test test-fast bench sample models clean

$(STAMP): requirements.txt requirements-nodeps.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -c "import mediapipe, av, cv2; print('engine deps ok: mediapipe', mediapipe.__version__, 'av', av.__version__, 'cv2', cv2.__version__)"
	touch $(STAMP)

install: $(STAMP)

# Runs the engine on the bundled sample lift and prints the headline metrics.
run: $(STAMP)
	$(PY) -m shared.analysis $(SAMPLE) --exercise snatch --bar-mass 100 --body-mass 80 --lifter-height 1.75 --out $(OUT) $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q tests

test-fast: $(STAMP)
	$(PY) -m pytest -q tests -m "not slow"

# Accuracy table over the generated clip set, then the speed and memory figures.
bench: $(STAMP)
	$(PY) -m bench.accuracy
	$(PY) -m bench.speed

# Re-render the bundled sample lift (committed) with the test generator.
sample: $(STAMP)
	$(PY) -m tests.synth.make_sample $(SAMPLE)

# Rebuild the offline MediaPipe pose bundles from npm @mediapipe/pose (needs npm and PyPI).
models:
	bash infra/models/build_pose_bundles.sh shared/analysis/models

clean:
	rm -rf $(VENV) $(OUT) .cache .pytest_cache
