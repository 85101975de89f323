# borderkit: make demo (the main job on the bundled data), make test (ruff, mypy, pytest).
# Both create .venv and install into it when needed, so a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench geodata install clean check-geodata vendor system-deps mutation docs lock

# The exact versions the tests pass with come from requirements-lock.txt (make lock); pyproject.toml
# keeps the ranges users install against. pip check fails when the lock misses a dependency.
$(STAMP): pyproject.toml requirements-lock.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check || { echo "requirements-lock.txt does not satisfy pyproject.toml: run make lock"; exit 1; }
	touch $(STAMP)

# Regenerate requirements-lock.txt (Linux, Python 3.11: what CI runs) from pyproject.toml's dependencies and
# its test group, with uv. Versions already locked are kept while the ranges allow; UPGRADE=1 takes the newest.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --group lock
	$(BIN)/uv pip compile pyproject.toml --group test --python-version 3.11 \
		--python-platform x86_64-unknown-linux-gnu $(if $(UPGRADE),--upgrade) --output-file requirements-lock.txt

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/borderkit layers
	$(BIN)/borderkit area countries
	$(BIN)/borderkit area enclaves --shift 110
	$(BIN)/borderkit area countries --method web-mercator
	$(BIN)/borderkit events --from 2021-05-01 --to 2021-05-31
	$(BIN)/borderkit zones --date 2024-12-31
	$(BIN)/borderkit timeline
	$(BIN)/borderkit claims
	$(BIN)/borderkit reconcile --samples 100 --seed 0
	$(BIN)/borderkit map --offline --png borderkit-map.png

# System packages the tests need (Chromium, its driver, gdal-bin): installed with apt when
# missing and run as root, else the script says what to install.
system-deps:
	./scripts/system_deps.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check borderkit tests scripts benchmarks
	$(BIN)/ruff format --check borderkit tests scripts benchmarks
	$(BIN)/mypy borderkit
	$(BIN)/python -m pytest -n auto --dist loadfile

# Mutation testing of the core modules with mutmut (settings in pyproject.toml [tool.mutmut]).
# Too slow for every CI run (tens of minutes on 2 cores): run it by hand, then update
# docs/mutation-report.md from `mutmut results`. io.py is mutated only in the one writer
# (write_output and the functions it calls); mutants/ is mutmut's scratch copy.
MUTATE := "borderkit.measure.*" "borderkit.account.*" "borderkit.safehtml.*" \
	"borderkit.io.x_write_output*" "borderkit.io.x__replace_via*" "borderkit.io.x__write_replace*" \
	"borderkit.io.x__name_anonymous*" "borderkit.io.x__final_metadata*" "borderkit.io.x__write_all*" \
	"borderkit.io.x__output_error*" "borderkit.io.x__advice*" \
	"borderkit.zones.*" "borderkit.observed.*" "borderkit.archives.*"

mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet --group mutation
	$(BIN)/mutmut run --max-children 2 $(MUTATE)
	$(BIN)/mutmut results

# The documentation site (mkdocs.yml): the API reference built from the numpydoc docstrings,
# the tutorial, the methodology. Built offline into site/ (no web fonts, no downloads), then
# every internal link and anchor is checked offline; external links are listed, not fetched.
# A few seconds; tests/test_docs.py runs the same two steps in make test.
docs: $(STAMP)
	$(BIN)/python -m pip install --quiet --group docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python scripts/check_links.py

lint: $(STAMP)
	$(BIN)/ruff check borderkit tests scripts benchmarks
	$(BIN)/ruff format --check borderkit tests scripts benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/montecarlo.py --thousand --raster --parallel 400
	$(BIN)/python benchmarks/crossings.py
	$(BIN)/python benchmarks/maps.py
	$(BIN)/python benchmarks/viewshed.py
	$(BIN)/python benchmarks/bench_vectortiles.py
	$(BIN)/python benchmarks/observed.py

# Refresh geodata/raw from ../shared/data (when present), then rebuild the curated layers.
geodata: $(STAMP)
	$(BIN)/python scripts/import_raw.py
	$(BIN)/python scripts/build_geodata.py

# Re-vendor the map's JavaScript/CSS from pinned npm packages (needs npm).
vendor: $(STAMP)
	$(BIN)/python scripts/vendor_assets.py

# Rebuild and fail if the committed layers differ from what the script makes.
check-geodata: geodata
	git diff --exit-code -- geodata/

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
