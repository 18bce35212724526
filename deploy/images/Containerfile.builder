# Containerfile.builder - the one builder image of R-Cycle: every build and
# runtime package installed once, the tree compiled once, and one root file
# system per shipped image laid out under /out/<image>/ by collect.sh. Every
# runtime Containerfile copies its /out/<image>/ from this image into scratch.
#
# Built by deploy/images/build.sh (make images) from the staged context it
# writes (build-deploy/context: src/, data/ and deploy/images/).
ARG BASE=localhost/debian-base:bookworm
FROM ${BASE}

# BUILD_PKGS: the build packages of scripts/deps.sh, less the fuzzing
# toolchain (build.sh reads them from there, so a new -dev package of the
# tree reaches this image too). Besides: PostgreSQL 15 for the postgres
# image, dash for initdb's popen() there, haproxy for the test-only
# svc-proxy image that stands in for kube-proxy under podman.
ARG BUILD_PKGS="build-essential cmake pkg-config libh2o-dev libh2o-evloop-dev libnng-dev protobuf-c-compiler libprotobuf-c-dev libpq-dev libcmocka-dev libjansson-dev libsodium-dev libssl-dev libyaml-dev libcurl4-openssl-dev libcjose-dev"
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends ${BUILD_PKGS} \
      postgresql-15 postgresql-client-15 haproxy dash ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

# The helper of the postgres image (no shell needed by the Job or CronJob).
COPY deploy/images/rcycle-pg.c /src/deploy/images/rcycle-pg.c
RUN cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o /usr/local/bin/rcycle-pg \
      /src/deploy/images/rcycle-pg.c -I"$(pg_config --includedir)" -lpq \
 && strip /usr/local/bin/rcycle-pg

# The tree, compiled once: the four processes and the database tools
# (rcycle-migrate; rcycle-admin, the operator commands, where the tree has it).
# src/ holds only what the compiler reads (build.sh stages it).
COPY src /src
RUN targets="rcycle-gateway svc-users svc-listings svc-claims rcycle-migrate" \
 && if grep -q 'add_executable(rcycle-admin' /src/db/CMakeLists.txt; then targets="$targets rcycle-admin"; fi \
 && cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release >/dev/null \
 && cmake --build /build -j "$(nproc)" --target $targets \
 && strip /build/gateway/rcycle-gateway /build/svc-users/svc-users \
      /build/svc-listings/svc-listings /build/svc-claims/svc-claims /build/db/rcycle-*

# One root file system per image: binaries, the shared libraries they load
# (found with ldd), a passwd entry for the numeric user, and their data
# (the UI, the SQL: data/, after the compile so that its changes do not
# recompile anything).
COPY data /data
COPY deploy/images/collect.sh /src/deploy/images/collect.sh
RUN bash /src/deploy/images/collect.sh /out
