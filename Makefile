# LiftLab. `make run` and `make test` install what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE := tests/data/sample_snatch.mp4
OUT ?= out
ARGS ?=

NODE_STAMP := infra/local/node_modules/.installed

.PHONY: install run token run-engine lint test test-fast bench bench-real sample demo models deploy job-image gpu-check clean

$(STAMP): requirements.txt infra/job/requirements.txt functions/requirements.txt requirements-nodeps.txt requirements-dev.txt
	bash infra/local/check_sdk.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	$(PY) -c "import mediapipe, av, cv2; print('engine deps ok: mediapipe', mediapipe.__version__, 'av', av.__version__, 'cv2', cv2.__version__)"
	touch $(STAMP)

# The Firebase Auth emulator (npm firebase-tools, pinned by package-lock.json). Install scripts
# only build optional native modules (re2) the Auth emulator does not use, and try to download
# prebuilt binaries, which fails offline.
$(NODE_STAMP): infra/local/package.json infra/local/package-lock.json
	cd infra/local && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# The web viewer (web/: the Firebase JS SDK, uPlot, esbuild; pinned by package-lock.json),
# built into web/dist, which `make run` serves at /app/. The esbuild binary comes as an npm
# package of its own, so no install script is needed.
WEB_STAMP := web/dist/.built
$(WEB_STAMP): web/package.json web/package-lock.json web/build.mjs $(wildcard web/src/*)
	cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node build.mjs
	touch $(WEB_STAMP)

# Debian's Chromium, for the viewer's browser tests.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	bash infra/local/install_chromium.sh

install: $(STAMP) $(NODE_STAMP) $(WEB_STAMP) $(CHROMIUM)

# The main job: the local GCP stack, then the sample lift uploaded through the real API and
# followed to `done`. ARGS=--once exits afterwards.
run: install
	$(PY) -m infra.local.walkthrough $(ARGS)

# A fresh ID token (an hour's) for a user of the running local stack: USER=admin|coach|lifter.
token: $(STAMP)
	@$(PY) -m infra.local.token $(USER)

# Only the engine, on the bundled sample lift.
run-engine: $(STAMP)
	$(PY) -m shared.analysis $(SAMPLE) --exercise snatch --bar-mass 100 --body-mass 80 --lifter-height 1.75 --out $(OUT)

# ruff, configured in pyproject.toml: the format and the lint rules.
lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

# Two workers: the local stack's tests on one, the engine's and the rest on the other
# (tests/conftest.py groups them).
test: install lint
	$(PY) -m pytest -q -n 2 tests

# The rule, formatter and coaching tests, with no emulator and no engine run: seconds.
test-fast: $(STAMP) lint
	$(PY) -m pytest -q tests/unit

# Accuracy table over the generated clip sets (looks drawn at random, the same looks lifted by
# other lifters at other tempos, and filmed by a tilted camera), the speed and memory figures, engine 1.1.0
# (BASE_ENGINE) and this one side by side on clips shaped as people film them and on the
# short rendered clips, then the read payloads of a 2-minute 60 fps session against the
# emulator, and 50 sessions uploaded at once and analysed on the local stack.
BASE_ENGINE ?= e1695aa
bench: install
	$(PY) -m bench.accuracy
	$(PY) -m bench.accuracy --set random
	$(PY) -m bench.accuracy --set random --seed 7
	$(PY) -m bench.accuracy --set random --seed 31
	$(PY) -m bench.accuracy --set motion
	$(PY) -m bench.accuracy --set tilt
	$(PY) -m bench.speed
	$(PY) -m bench.versus --base-commit $(BASE_ENGINE) --set shaped
	$(PY) -m bench.versus --base-commit $(BASE_ENGINE) --set both
	$(PY) -m bench.payloads
	LIFTLAB_LOAD_SESSIONS=50 $(PY) -m pytest -q -s tests/reliability/test_load.py
	$(PY) -m bench.progress
	$(PY) -m bench.cold_import
	$(PY) -m bench.docs

# The engine on the real clips beside the project (../shared/realclips): per clip, what it found.
bench-real: install
	$(PY) -m bench.real
	$(PY) -m bench.docs

# Re-render the bundled sample lift (committed) with the test generator.
sample: $(STAMP)
	$(PY) -m tests.synth.make_sample $(SAMPLE)

# Re-run the real pipeline on the bundled demo video; demo=true serves its outputs.
demo: $(STAMP)
	$(PY) -m shared.demo build

# Rebuild the offline MediaPipe pose bundles from npm @mediapipe/pose (needs npm and PyPI).
# All three ship in the repo (heavy is 30 MB); `make models` only rebuilds them.
models:
	bash infra/models/build_pose_bundles.sh shared/analysis/models

# Deploy to GCP from functions/routes.json (docs/cloud.md, "Deploy to GCP"). DRY_RUN=1 prints every
# command and runs nothing; IMAGE_TAG defaults to the commit.
PROJECT ?=
REGION ?=
BUCKET ?=
IMAGE_TAG ?=
DRY_RUN ?=
deploy: $(STAMP) $(NODE_STAMP) $(WEB_STAMP)
	$(PY) -m infra.deploy --project "$(PROJECT)" --region "$(REGION)" --bucket "$(BUCKET)" \
		$(if $(IMAGE_TAG),--image-tag "$(IMAGE_TAG)") $(if $(DRY_RUN),--dry-run)

# The analysis job's image (needs a Docker engine; `make deploy` builds it on Cloud Build).
job-image:
	docker build -f infra/job/Dockerfile -t liftlab-job .

# The GPU paths (NVENC, MediaPipe's GPU delegate) against the CPU ones; on a GPU machine.
gpu-check: $(STAMP)
	$(PY) -m infra.job.gpu_check

clean:
	rm -rf $(VENV) $(OUT) .cache .pytest_cache infra/local/node_modules web/node_modules web/dist artifacts
