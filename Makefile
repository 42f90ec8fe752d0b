# The two set-up commands of the README, and the benchmark.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PURE_TESTS := tests/test_engine.py tests/test_operators.py tests/test_assignment.py tests/test_errors.py \
	tests/test_tape_residuals.py tests/test_methods.py tests/test_plain_numpy.py tests/test_builtins.py \
	tests/test_misc.py tests/test_fastpath.py tests/test_arraycache.py tests/rules/test_ufuncs.py tests/rules/test_products.py

.PHONY: demo test bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

demo: $(BIN)/python
	$(BIN)/python -m pip install --quiet ".[examples]"
	cd examples && ../$(BIN)/python tour.py

test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m pytest -q README.md tests tapegrad
	# the engine's pure-Python twin of the C fast path, on the tests that exercise the engine
	TAPEGRAD_PURE_PYTHON=1 $(BIN)/python -m pytest -q $(PURE_TESTS)
	# autograd's own test suite (1.9.1, downloaded into .cache/) through install_as_autograd(): docs/compat.md
	$(BIN)/python tests/autograd_suite/run.py

bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	-$(BIN)/python -m pip install --quiet torch==2.13.0  # optional: compared when importable
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# the differential fuzzer of views and writes (tests/fuzz): make fuzz N=100000 [FUZZ_ARGS="--seed 5000 --shrink"]
fuzz: $(BIN)/python
	$(BIN)/python -c "import tapegrad" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m tests.fuzz --n $(or $(N),10000) $(FUZZ_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info benchmarks/results .cache
