# The two set-up commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: demo test setup bench

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/nianbao demo --db nianbao.db

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python bench/parse_bench.py
