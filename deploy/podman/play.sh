#!/usr/bin/env bash
# play.sh - runs R-Cycle's kind overlay for real under podman (no Kubernetes
# here): renders deploy/k8s/overlays/podman, maps what `podman kube play`
# ignores (deploy/tools/kube-to-podman.mjs), plays it on its own network,
# and runs the project's end-to-end API suite through the gateway's Service.
#
#   deploy/podman/play.sh up       render, play, wait until every pod is ready
#   deploy/podman/play.sh e2e      the suite (node --test test/integration/)
#   deploy/podman/play.sh spread   a second replica of svc-users and svc-listings,
#                                  load through the gateway, requests per replica
#   deploy/podman/play.sh fsgroup  fsGroup applied to PostgreSQL's volume as the
#                                  kubelet does, PostgreSQL restarted: it must start
#   deploy/podman/play.sh down     remove every pod, container, volume, secret
#                                  and network this made
#   deploy/podman/play.sh all      up, e2e, spread, fsgroup, then down (also on failure)
#
# The images must exist (make images). The gateway's Service (a proxy, as
# every Service here) answers on http://127.0.0.1:3400 (admin 7600); every
# port of the other Services on 127.0.0.1:7601... (see $STATE/plan.json).
# At the end, the PostgreSQL volume gets what the kubelet does for fsGroup,
# and PostgreSQL must start again on it. State, logs
# and the suite's output go to build-deploy/podman. The suite's white-box
# tests use two host-built tools (rpc-probe, rcycle-admin) from $BUILD_DIR
# (default build/; make build, or scripts/test-deploy.sh builds them).
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

STATE=$RCYCLE_DEPLOY_OUT/podman
NETWORK=${RCYCLE_PODMAN_NETWORK:-rcycle-e2e}
READY_TIMEOUT=${RCYCLE_PODMAN_READY_TIMEOUT:-240}
TOOLS=$DEPLOY_DIR/tools
export RCYCLE_PODMAN_STATE=$STATE

note() { echo "play.sh: $*" >&2; }
die() {
  note "$*"
  exit 1
}

plan_query() { node -e "const p=require('$STATE/plan.json'); const f=$1; const r=f(p); if (r !== undefined) console.log(Array.isArray(r) ? r.join('\n') : r)"; }

ctr_pid() { podman inspect --format '{{.State.Pid}}' "$1" 2>/dev/null; }
ctr_running() { [[ $(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }

# An HTTP GET to 127.0.0.1:PORT inside the network namespace of container $1
# (no shell or curl needed in the image; no traffic leaves the host).
ns_http() {
  local pid
  pid=$(ctr_pid "$1") && [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  nsenter -t "$pid" -n curl -fsS -o "${4:-/dev/null}" --max-time 2 "http://127.0.0.1:$2$3" 2>/dev/null
}
ns_tcp() {
  local pid
  pid=$(ctr_pid "$1") && [[ $pid =~ ^[1-9][0-9]*$ ]] || return 1
  nsenter -t "$pid" -n timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

# Ready as its readinessProbe says (recorded in plan.json).
container_ready() {
  local pod=$1 container=$2 ready type port path
  ready=$(plan_query "p => { for (const w of p.workloads) for (const c of w.containers) if (c.name === '$container') return c.ready ? [c.ready.type, c.ready.port, c.ready.path ?? ''].join(' ') : 'none'; }")
  read -r type port path <<<"$ready"
  ctr_running "$pod-$container" || return 1
  case $type in
    http) ns_http "$pod-$container" "$port" "$path" ;;
    tcp) ns_tcp "$pod-$container" "$port" ;;
    *) return 0 ;;
  esac
}

# Waits until every container of the given pods is ready.
wait_pods_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) pod w c pending
  while :; do
    pending=()
    for pod in "$@"; do
      w=${pod%-pod-*}
      for c in $(plan_query "p => p.workloads.find(w => w.name === '$w').containers.map(c => c.name)"); do
        container_ready "$pod" "$c" || pending+=("$pod-$c")
      done
    done
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      for c in "${pending[@]}"; do
        note "not ready: $c; its last log lines:"
        podman logs --tail 15 "$c" >&2 2>&1 || true
      done
      return 1
    fi
    sleep 0.5
  done
}

record_pod() { echo "$1" >>"$STATE/pods.txt"; }

cmd_up() {
  local t0=$SECONDS
  command -v kubectl >/dev/null || die "kubectl is missing (it renders the overlays)"
  # What kube play needs beyond podman itself (deploy/lib.sh installs them):
  # without these it fails late, or db-init waits for a name that never resolves.
  command -v catatonit >/dev/null || [[ -x /usr/libexec/podman/catatonit ]] ||
    die "catatonit is missing: podman builds every pod's pause image from it"
  [[ -x /usr/lib/cni/dnsname ]] ||
    die "the CNI dnsname plugin is missing (golang-github-containernetworking-plugin-dnsname): the Service proxies resolve pods by name"
  for image in gateway svc-users svc-listings svc-claims migrate postgres svc-proxy; do
    podman image exists "$(image_ref "$image")" || die "image $(image_ref "$image") is missing: make images"
  done
  [[ -d $TOOLS/node_modules ]] || (cd "$TOOLS" && npm ci --no-audit --no-fund --silent)
  cmd_down >/dev/null 2>&1 || true
  mkdir -p "$STATE/run"
  : >"$STATE/pods.txt"

  kubectl kustomize "$DEPLOY_DIR/k8s/overlays/podman" >"$STATE/rendered.yaml"
  RCYCLE_SEED_PASSWORD=${RCYCLE_SEED_PASSWORD:-rcycle-dev} "$DEPLOY_DIR/secret.sh" --out "$STATE/secret.yaml" 2>/dev/null
  # The RPC certificates, from a throwaway site CA that the suite's probe uses too.
  "$DEPLOY_DIR/tls.sh" --ca-dir "$STATE/rpc-ca" --out "$STATE/tls-secrets.yaml" 2>/dev/null
  node "$TOOLS/kube-to-podman.mjs" --in "$STATE/rendered.yaml" --secret "$STATE/secret.yaml" \
    --secret "$STATE/tls-secrets.yaml" --out "$STATE" \
    --proxy-image "$(image_ref svc-proxy)" >&2

  podman network exists "$NETWORK" || podman network create "$NETWORK" >/dev/null
  local name file
  while read -r name file; do
    podman secret rm "$name" >/dev/null 2>&1 || true
    podman secret create "$name" "$file" >/dev/null
  done < <(plan_query "p => p.secrets.map(s => s.name + ' ' + s.file)")

  # Every pod kube play makes, recorded before it runs, so that down finds them.
  for name in $(plan_query "p => p.workloads.flatMap(w => Array.from({length: w.replicas}, (_, i) => w.name + '-pod-' + i))") \
    $(plan_query "p => p.proxies.map(x => x.name)") $(plan_query "p => p.oneShot.map(x => x.name)"); do
    record_pod "$name"
  done
  # db-init first, in the background: kube play waits for a pod's init
  # containers, db-init's wait for PostgreSQL (in the stack) and the
  # services' schema-wait for db-init's migrations.
  local job jobs_pid
  job=$(plan_query "p => p.oneShot[0].name")
  note "podman kube play: $job (waits for PostgreSQL, migrates and seeds, sets the role passwords)"
  # Bounded: a pod whose init container never finishes would hold kube play
  # for as long as that container's own timeout (schema-wait: 30 min).
  timeout "$READY_TIMEOUT" podman kube play --network "$NETWORK" "$STATE/jobs.yaml" >"$STATE/play-jobs.log" 2>&1 &
  jobs_pid=$!
  note "podman kube play (stack: $(grep -c '^kind:' "$STATE/stack.yaml") objects; the services wait for their schema)"
  if ! timeout "$READY_TIMEOUT" podman kube play --network "$NETWORK" "$STATE/stack.yaml" >"$STATE/play.log" 2>&1; then
    grep -v '^[0-9a-f]\{64\}$' "$STATE/play.log" | tail -n 20 >&2
    kill "$jobs_pid" 2>/dev/null || true
    die "podman kube play failed (log: $STATE/play.log)"
  fi
  if ! wait "$jobs_pid"; then
    for c in wait migrate passwords; do podman logs --tail 20 "$job-$c" >&2 2>&1 || true; done
    die "the $job pod failed (log: $STATE/play-jobs.log)"
  fi
  local deadline=$((SECONDS + READY_TIMEOUT)) state
  while :; do
    state=$(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$job-passwords" 2>/dev/null || echo missing)
    [[ $state == "exited 0" ]] && break
    if ((SECONDS >= deadline)); then
      for c in wait migrate passwords; do podman logs --tail 20 "$job-$c" >&2 2>&1 || true; done
      die "$job did not complete ($state)"
    fi
    sleep 0.5
  done
  local pods
  mapfile -t pods < <(plan_query "p => p.workloads.flatMap(w => Array.from({length: w.replicas}, (_, i) => w.name + '-pod-' + i))")
  wait_pods_ready "${pods[@]}" || die "the stack did not become ready within $READY_TIMEOUT s"
  wait_gateway_service || die "the gateway's /readyz through its Service (127.0.0.1:3400) never answered 200"
  echo "$((SECONDS - t0))" >"$STATE/ready-seconds"
  note "all ready in $((SECONDS - t0)) s: gateway http://127.0.0.1:3400"
}

# Through the gateway's Service proxy on the host, as a client sees it.
wait_gateway_service() {
  local deadline=$((SECONDS + 60))
  until curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:3400/readyz; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# What the kubelet does to a volume with fsGroup on a mount that changes
# ownership (every mount without fsGroupChangePolicy: OnRootMismatch, the
# first one with it): group fsGroup on every file, group read-write, setgid
# directories. podman does none of it; done here to PostgreSQL's volume,
# then PostgreSQL restarted: it must come back (rcycle-pg sets the data
# directory to 0700 again; PostgreSQL refuses a group-writable one). Last
# of all: the services' pooled connections do not outlive the restart.
cmd_fsgroup() {
  local gid claim dir
  gid=$(plan_query "p => p.fsGroups?.postgres")
  claim=$(plan_query "p => p.volumes.find(v => v.startsWith('data-postgres'))")
  [[ -n $gid && -n $claim ]] || die "no fsGroup or volume of postgres in the plan"
  dir=$(podman volume inspect --format '{{.Mountpoint}}' "$claim") || die "no volume $claim"
  note "fsGroup $gid applied to $claim as the kubelet does; PostgreSQL restarted"
  podman stop -t 30 postgres-pod-0-postgres >/dev/null
  chgrp -R "$gid" "$dir"
  chmod -R g+rwX "$dir"
  find "$dir" -type d -exec chmod g+s {} +
  [[ $(stat -c %a "$dir/pgdata") == 2770 ]] || die "the fsGroup change did not make pgdata group-writable"
  podman start postgres-pod-0-postgres >/dev/null
  wait_pods_ready postgres-pod-0 || die "PostgreSQL did not start on a volume with fsGroup applied"
  [[ $(stat -c %a "$dir/pgdata") == 2700 || $(stat -c %a "$dir/pgdata") == 700 ]] ||
    die "rcycle-pg left pgdata at $(stat -c %a "$dir/pgdata"), not 0700"
  wait_gateway_service || die "the gateway did not answer after PostgreSQL's restart"
}

# The environment of the suite: what lib.mjs reads.
suite_env() {
  local w port
  echo "GATEWAY_URL=http://127.0.0.1:3400"
  echo "RUN_DIR=$STATE/run"
  echo "STACK_SH=$DEPLOY_DIR/podman/stack-adapter.sh"
  echo "RCYCLE_SEED_PASSWORD=${RCYCLE_SEED_PASSWORD:-rcycle-dev}"
  echo "RCYCLE_COOKIE_SECURE=0"
  echo "RCYCLE_PODMAN_STATE=$STATE"
  for w in gateway svc-users svc-listings svc-claims; do
    port=$(plan_query "p => p.published['$w/admin']?.port")
    local key=${w#svc-}
    key=${key^^}
    echo "RCYCLE_${key}_ADMIN_URL=http://127.0.0.1:$port"
    # The raw RPC sockets (rpc-garbage.test.mjs), through the Service proxies.
    [[ $w == gateway ]] || echo "RCYCLE_${key}_ADDR=tls+tcp://127.0.0.1:$(plan_query "p => p.published['$w/rpc']?.port")"
  done
  # The deployment's RPC certificates, for the probe (it presents the gateway's).
  echo "RCYCLE_CERTS_DIR=$STATE/rpc-ca"
  # The database as each service role and the administrator see it (expiry,
  # import, token and audit tests), through the postgres Service proxy; the
  # host-built tools of the suite (rpc-probe, rcycle-admin) from BUILD_DIR.
  local pw role db_port
  db_port=$(plan_query "p => p.published['postgres/postgres']?.port")
  for role in users listings claims; do
    pw=$(sed -nE "s/^  ${role^^}_DB_PASSWORD: \"(.*)\"$/\1/p" "$STATE/secret.yaml")
    echo "RCYCLE_${role^^}_DATABASE_URL=postgresql://rcycle_$role:$pw@127.0.0.1:$db_port/rcycle"
  done
  pw=$(sed -nE 's/^  POSTGRES_PASSWORD: "(.*)"$/\1/p' "$STATE/secret.yaml")
  echo "RCYCLE_ADMIN_DATABASE_URL=postgresql://postgres:$pw@127.0.0.1:$db_port/rcycle"
  echo "BUILD_DIR=${BUILD_DIR:-$DEPLOY_ROOT/build}"
}

# The suite's files that test the processes of a local stack rather than a
# deployment, and so run only in `make test`: they arm fault points and
# pauses in a restarted process (zz-deadline, zz-resend,
# zz-settler-departments, zz-notify-crash), read a process's memory from /proc and restart it
# (login-flood, rpc-memory, rpc-identity), run the database tools against the
# private PostgreSQL (db-tools) or restart it (zz-pg-restart), start a binary
# with a stack limit (startup) or a second replica from a process's own
# environment (zz-scale-out), read the processes' log files (trace), stop one
# to watch a gauge or a deferred step (zz-settler-backlog, zz-receipt), or need the test OpenID provider that
# scripts/test.sh starts beside the stack (sso), or the test SMTP relay (mail).
LOCAL_STACK_ONLY=(db-tools login-flood mail rpc-identity rpc-memory sso startup trace zz-deadline
  zz-notify-crash zz-pg-restart zz-receipt zz-resend zz-scale-out zz-settler-backlog zz-settler-departments)

cmd_e2e() {
  local env_args files tap=$STATE/run/integration.tap rc=0 skip
  mapfile -t env_args < <(suite_env)
  mapfile -t files < <(find "$DEPLOY_ROOT/test/integration" -type d -name node_modules -prune -o -type f \
    \( -name '*.test.js' -o -name '*.test.mjs' -o -name '*.test.cjs' \) -print | sort)
  for skip in "${LOCAL_STACK_ONLY[@]}"; do
    mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -v "/$skip\.test\.mjs$")
  done
  ((${#files[@]} > 0)) || die "no integration tests in test/integration"
  "$DEPLOY_DIR/podman/stack-adapter.sh" status >/dev/null # writes gateway.pid
  "$DEPLOY_ROOT/test/integration/install.sh"
  note "loading the suite's own registry devices (test/integration/registry.csv)"
  env "${env_args[@]}" bash -c 'DATABASE_URL=$RCYCLE_LISTINGS_DATABASE_URL "$BUILD_DIR/db/rcycle-admin" \
    import-hardware "$0" >/dev/null' "$DEPLOY_ROOT/test/integration/registry.csv" || die "loading registry.csv failed"
  note "end-to-end suite through the gateway's Service proxy (${#files[@]} files)"
  # Its status is kept explicitly: cmd_all calls this in an || list, where
  # set -e does not stop at a failing command.
  env "${env_args[@]}" node --test --test-concurrency=1 --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || rc=$?
  grep -Eq '^# tests [1-9]' "$tap" || die "the suite ran no test"
  return $rc
}

# Sum of rcycle_rpc_duration_seconds_count{side="server"} of one container.
server_rpcs() {
  local port=$2 file
  file=$(mktemp)
  if ! ns_http "$1" "$port" /metrics "$file"; then
    rm -f "$file"
    echo "?"
    return
  fi
  awk '/^rcycle_rpc_duration_seconds_count\{/ && /side="server"/ { s += $NF } END { printf "%d\n", s }' "$file"
  rm -f "$file"
}

cmd_spread() {
  local svc i
  declare -A ADMIN=([svc-users]=7201 [svc-listings]=7202)
  note "scaling svc-users and svc-listings to 2 replicas"
  for svc in svc-users svc-listings; do
    node "$TOOLS/kube-to-podman.mjs" --in "$STATE/rendered.yaml" --secret "$STATE/tls-secrets.yaml" \
      --out "$STATE" --replica "$svc=1" >/dev/null
    record_pod "$svc-pod-1"
    podman pod rm -f "$svc-pod-1" >/dev/null 2>&1 || true
    podman kube play --network "$NETWORK" "$STATE/replica-$svc-1.yaml" >>"$STATE/play.log" 2>&1 ||
      die "podman kube play of $svc-pod-1 failed (log: $STATE/play.log)"
  done
  wait_pods_ready svc-users-pod-1 svc-listings-pod-1 || die "the second replicas did not become ready"
  sleep 3 # the Service proxies resolve the new pods and pass their checks
  # Connections are balanced when they are made: restart the callers (as
  # kubectl rollout restart would) so that their dialers connect anew.
  note "restarting the gateway and svc-claims (their dialers reconnect through the Services)"
  # Stop, then start: kube play's pods stop their infra container with the
  # last one, and podman restart does not bring it back (podman start does).
  podman stop -t 10 gateway-pod-0-gateway svc-claims-pod-0-svc-claims >/dev/null
  podman start gateway-pod-0-gateway svc-claims-pod-0-svc-claims >/dev/null
  wait_pods_ready gateway-pod-0 svc-claims-pod-0 || die "gateway or svc-claims not ready after the restart"
  wait_gateway_service || die "the gateway's Service did not take it back after the restart"
  "$DEPLOY_DIR/podman/stack-adapter.sh" status >/dev/null
  declare -A BEFORE=() AFTER=()
  for svc in svc-users svc-listings; do
    for i in 0 1; do BEFORE[$svc-$i]=$(server_rpcs "$svc-pod-$i-$svc" "${ADMIN[$svc]}"); done
  done
  GATEWAY_URL=http://127.0.0.1:3400 RCYCLE_SEED_PASSWORD=${RCYCLE_SEED_PASSWORD:-rcycle-dev} \
    node "$DEPLOY_DIR/podman/load.mjs" || die "the load run failed"
  for svc in svc-users svc-listings; do
    for i in 0 1; do AFTER[$svc-$i]=$(server_rpcs "$svc-pod-$i-$svc" "${ADMIN[$svc]}"); done
  done
  local rc=0 total share n
  {
    echo "requests per replica (rcycle_rpc_duration_seconds_count{side=\"server\"}, during the load run)"
    for svc in svc-users svc-listings; do
      total=0
      for i in 0 1; do total=$((total + AFTER[$svc-$i] - BEFORE[$svc-$i])); done
      for i in 0 1; do
        n=$((AFTER[$svc-$i] - BEFORE[$svc-$i]))
        share=$((total > 0 ? 100 * n / total : 0))
        printf '  %-18s %6d  (%d%%)\n' "$svc-pod-$i" "$n" "$share"
        ((share >= 20)) || rc=1
      done
    done
  } | tee "$STATE/spread.txt"
  ((rc == 0)) || die "a replica got less than 20% of its service's requests: not spread"

  note "killing svc-listings-pod-1: the other replica carries on"
  podman kill --signal KILL svc-listings-pod-1-svc-listings >/dev/null
  sleep 2
  GATEWAY_URL=http://127.0.0.1:3400 RCYCLE_SEED_PASSWORD=${RCYCLE_SEED_PASSWORD:-rcycle-dev} \
    node "$DEPLOY_DIR/podman/load.mjs" --listings-only 30 || die "requests failed with one svc-listings replica down"
  podman start svc-listings-pod-1-svc-listings >/dev/null
  wait_pods_ready svc-listings-pod-1 || die "svc-listings-pod-1 did not come back"
  note "load spreading: ok (table in $STATE/spread.txt)"
}

cmd_down() {
  local name
  if [[ -f $STATE/pods.txt ]]; then
    while read -r name; do
      [[ -n $name ]] && podman pod rm -f -t 5 "$name" >/dev/null 2>&1 || true
    done <"$STATE/pods.txt"
  fi
  if [[ -f $STATE/plan.json ]]; then
    for name in $(plan_query "p => p.secrets.map(s => s.name)"); do podman secret rm "$name" >/dev/null 2>&1 || true; done
  fi
  if [[ -f $STATE/plan.json ]]; then
    for name in $(plan_query "p => p.volumes ?? []"); do podman volume rm -f "$name" >/dev/null 2>&1 || true; done
  fi
  podman network exists "$NETWORK" 2>/dev/null && podman network rm -f "$NETWORK" >/dev/null 2>&1
  rm -f "$STATE/pods.txt" "$STATE/secret.yaml" "$STATE/tls-secrets.yaml"
  rm -rf "$STATE/secrets" "$STATE/rpc-ca"
  return 0
}

# What CI keeps of a failed step: every container's state (a restart shows
# here) and the last log lines of the processes.
show_containers() {
  local c
  note "containers after the failure:"
  podman ps -a --format '{{.Names}} {{.Status}}' >&2 || true
  for c in $(podman ps -a --format '{{.Names}}' | grep -E -- '-(postgres|migrate|passwords|gateway|svc-users|svc-listings|svc-claims)$'); do
    note "last log lines of $c:"
    podman logs --tail 20 "$c" >&2 2>&1 || true
  done
}

cmd_all() {
  local rc=0
  trap 'st=$?; ((st == 0)) || show_containers; cmd_down; note "cleaned up"' EXIT
  trap 'exit 130' INT TERM
  cmd_up
  cmd_e2e || rc=1
  cmd_spread || rc=1
  cmd_fsgroup || rc=1
  return $rc
}

deploy_container_tools
case ${1:-} in
  up) cmd_up ;;
  e2e) cmd_e2e ;;
  spread) cmd_spread ;;
  fsgroup) cmd_fsgroup ;;
  down) cmd_down ;;
  all) cmd_all ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
