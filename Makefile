# The two commands the README gives. Each installs what it needs first.
.PHONY: setup run test bench fuzz accuracy

setup:
	./scripts/setup.sh

# Main job on the built-in demo: build a demo firmware image, scan it, print where the report is.
run: setup
	.venv/bin/iotbaseline demo -o demo-output

# Whole test suite (real firmware from ../shared/firmware when present).
test: setup
	IOTBASELINE_CORPUS=$${IOTBASELINE_CORPUS:-$(abspath ../shared/firmware)} .venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/run_all.py

# Accuracy on the real corpus: expected findings found/missed, negative controls, uncovered
# findings to review, reviewed precision (tests/corpus/README.md).
accuracy: setup
	IOTBASELINE_CORPUS=$${IOTBASELINE_CORPUS:-$(abspath ../shared/firmware)} .venv/bin/python bench/accuracy.py --verbose

# Atheris harnesses, one at a time, FUZZ_SECONDS each (default 600), at lowest CPU priority.
fuzz: setup
	IOTBASELINE_CORPUS=$${IOTBASELINE_CORPUS:-$(abspath ../shared/firmware)} FUZZ_NICE=19 \
	  .venv/bin/python fuzz/run.py --seconds $${FUZZ_SECONDS:-600}
