# Makefile - the front door of R-Cycle. On a fresh Debian 12 machine:
#   make run     install what is missing, build, start everything, print the URL (Ctrl-C stops)
#   make test    every test: unit, integration, then again under ASan/UBSan
#   make bench   load test of a local stack, printed as Markdown tables
# The work is done by scripts/*.sh and bench/run.sh; see README.md.

SHELL := /bin/bash
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
export BUILD_DIR JOBS

.PHONY: all help deps build run stop status test test-crash test-soak test-restore test-restore-big fuzz-long bench clean distclean

all: build

help:
	@echo "make run | test | bench | build | deps | stop | status | clean | distclean"

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run.sh

# Stops a stack left running by `make run` (or scripts/stack.sh start).
stop:
	@scripts/stack.sh stop

status:
	@scripts/stack.sh status

test:
	@scripts/test.sh

# The crash-consistency suite: kills a service at each step of a claim and
# checks the claimed/open-claim invariant after it settles, CRASH_REPEAT
# times (default 5), on its own stack.
test-crash: build
	@scripts/test-crash.sh

# The soak under faults: open-loop load while every process is killed, PostgreSQL
# crash-restarted and a service frozen; SOAK_SECONDS (default 600), own stack.
test-soak: build
	@scripts/test-soak.sh

# A backup taken as the CronJob takes it restores into a fresh PostgreSQL
# and the services run on it as before (make test runs it too).
test-restore: build
	@scripts/test-restore.sh

# The restore time of a large database (100k listings, 1M events): not in CI.
test-restore-big: build
	@bench/restore-big.sh

# Every fuzz target for 10 minutes (make test runs each for 10 s).
fuzz-long:
	@FUZZ_SECONDS=600 scripts/fuzz.sh

bench: build
	@bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

# Also stops and deletes every private PostgreSQL and all run data under .data.
distclean: clean
	@for d in .data .data/* .data/*/*; do \
	  [ -d "$$d/pg" ] || [ -d "$$d/run" ] || continue; \
	  RCYCLE_DATA_DIR="$$d" scripts/stack.sh stop >/dev/null 2>&1 || true; \
	  RCYCLE_DATA_DIR="$$d" scripts/pg.sh stop || true; \
	done
	rm -rf .data

# Kubernetes and air-gap delivery (deploy/README.md):
#   make images       every container image, offline, from a debootstrapped Debian base
#   make bundle       the air-gap bundle: image archives, rendered manifests, checksums, load script
#   make test-deploy  render, validate and policy-check every overlay, build the images,
#                     play the kind overlay under podman and run the end-to-end suite against it
.PHONY: images bundle test-deploy

images:
	@deploy/images/build.sh

bundle: images
	@deploy/bundle.sh

test-deploy:
	@scripts/test-deploy.sh
