# The two set-up commands are `make run` and `make test`; both install what is missing first.
JOBS ?= $(shell nproc)
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test
CMAKE_LAUNCHER := $(shell command -v ccache >/dev/null 2>&1 && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

.PHONY: setup build build-test web run test test-unit test-integration test-e2e bench format clean

setup:
	@scripts/setup.sh

# Release build: the binary that `make run`, the end-to-end tests and the benchmarks use.
build: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DHOOKD_TESTS=OFF $(CMAKE_LAUNCHER) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@$(MAKE) --no-print-directory web

# Test build: AddressSanitizer and UBSan, used by unit and integration tests.
build-test: setup
	@cmake -S . -B $(TEST_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DHOOKD_SANITIZE=ON $(CMAKE_LAUNCHER) >/dev/null
	@cmake --build $(TEST_BUILD_DIR) -j $(JOBS)

web:
	@if [ -f web/package.json ]; then cd web && npm run --silent build; fi

run: build
	@scripts/run-demo.sh

test: build build-test
	@scripts/test-all.sh

test-unit: build-test
	@cd $(TEST_BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

test-integration: build build-test
	@HOOKD_BIN=$(CURDIR)/$(TEST_BUILD_DIR)/hookd node --test --test-concurrency=1 tests/integration/

test-e2e: build
	@HOOKD_BIN=$(CURDIR)/$(BUILD_DIR)/hookd node --test --test-concurrency=1 tests/e2e/

bench: build
	@bench/run.sh
	@bench/multinode.sh
	@bench/scenarios/pg_delivery.sh

format:
	@clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'bench/*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR)
