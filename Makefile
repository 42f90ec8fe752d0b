# The two set-up commands of the README, and the benchmark.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
.PHONY: demo test test-pure test-oldest bench fuzz clients docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[examples]"
	cd examples && ../$(BIN)/python tour.py

# autograd's examples that run in seconds (benchmarks/examples.py runs them all, timed against autograd)
QUICK_EXAMPLES = bayesian_optimization,black_box_svi,deep_gaussian_process,define_gradient,fixed_points,gaussian_process,gmm,gplvm,ica,logistic_regression,negative_binomial_maxlike,neural_net_regression,print_trace,rkhs,rosenbrock,sinusoid,tanh

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pytest -q -n auto README.md tests tapegrad
	# autograd's own test suite (1.9.1, downloaded into .cache/) through install_as_autograd(): docs/compat.md
	$(BIN)/python tests/autograd_suite/run.py
	$(BIN)/python benchmarks/examples.py --check --maxiter 3 --only $(QUICK_EXAMPLES)

# The whole suite again on the engine's pure-Python twin of the C fast path (CI runs it after `make test`).
test-pure: $(BIN)/python
	TAPEGRAD_PURE_PYTHON=1 $(BIN)/python -m pytest -q -n auto README.md tests tapegrad
	TAPEGRAD_PURE_PYTHON=1 $(BIN)/python tests/autograd_suite/run.py
	TAPEGRAD_PURE_PYTHON=1 $(BIN)/python benchmarks/examples.py --check --maxiter 3 --only $(QUICK_EXAMPLES)

# The suite on the oldest NumPy and SciPy that pyproject.toml accepts, in a venv of its own (CI runs it too).
OLDEST = numpy==2.3.* scipy==1.17.*
test-oldest:
	$(PYTHON) -m venv .venv-oldest
	.venv-oldest/bin/python -m pip install --quiet --upgrade pip
	.venv-oldest/bin/python -m pip install --quiet "$(word 1,$(OLDEST))" "$(word 2,$(OLDEST))" -e ".[test]"
	.venv-oldest/bin/python -m pytest -q -n auto README.md tests tapegrad

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	-$(BIN)/python -m pip install --quiet torch==2.13.0  # optional: compared when importable
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# the differential fuzzer of views and writes (tests/fuzz): make fuzz N=100000 [FUZZ_ARGS="--seed 5000 --shrink"]
fuzz: $(BIN)/python
	$(BIN)/python -c "import tapegrad" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m tests.fuzz --n $(or $(N),10000) $(FUZZ_ARGS)

# the libraries built on autograd (lifelines with autograd-gamma, pymanopt, PennyLane): their own tests, on
# autograd and on tapegrad through install_as_autograd(), each in its own environment under .cache/clients/
# (tools/clients.py; not part of make test): make clients [CLIENTS_ARGS="pennylane --src pennylane=DIR"]
clients: $(BIN)/python
	$(BIN)/python tools/clients.py $(CLIENTS_ARGS)

# the documentation site (mkdocs.yml; pages in docs/, API pages from the docstrings) into site/;
# every page's code runs in make test (tests/test_docs.py), which does not need these tools
docs: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

clean:
	rm -rf $(VENV) .venv-oldest build *.egg-info benchmarks/results .cache site
