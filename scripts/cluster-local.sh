#!/usr/bin/env bash
# Runs a small Koivulahti cluster on this machine against local PostgreSQL and NATS JetStream:
# 2 api, 2 engine and 2 worker processes, each serving HTTP on its own port. Ctrl-C (or SIGTERM) stops them all.
#
#   scripts/cluster-local.sh
#   BASE_PORT=9001 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/cluster-local.sh
#
# Environment (all optional):
#   DATABASE_URL   PostgreSQL (default postgres://postgres@127.0.0.1:5432/koivulahti_cluster; created when missing)
#   NATS_URL       NATS with JetStream (default nats://127.0.0.1:4222)
#   BASE_PORT      first port (default 8081): api BASE_PORT, +1; engine +2, +3; worker +4, +5
#   HOST           bind address (default 127.0.0.1; any other address needs KOIVULAHTI_ADMIN_TOKEN)
#   LOG_LEVEL, NATS_PREFIX, KOIVULAHTI_ADMIN_TOKEN, LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, KOIVULAHTI_CONFIG: passed through
#   HEALTH_TIMEOUT seconds to wait for each /health (default 90)
# Logs: data/cluster/<role>-<n>.log. Runs dist/cli.js when it exists, else src/cli.ts through tsx.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/koivulahti_cluster}"
export NATS_URL="${NATS_URL:-nats://127.0.0.1:4222}"
export HOST="${HOST:-127.0.0.1}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
BASE_PORT="${BASE_PORT:-8081}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-90}"
LOG_DIR="data/cluster"
ROLES=(api api engine engine worker worker)

die() {
  echo "cluster-local: $*" >&2
  exit 1
}

[[ "$BASE_PORT" =~ ^[0-9]+$ ]] && ((BASE_PORT > 0 && BASE_PORT + ${#ROLES[@]} - 1 <= 65535)) ||
  die "BASE_PORT must be a port number (got '$BASE_PORT')"
[[ "$HEALTH_TIMEOUT" =~ ^[0-9]+$ ]] || die "HEALTH_TIMEOUT must be a whole number of seconds (got '$HEALTH_TIMEOUT')"

# ---- how to run the program ----
if [[ -f dist/cli.js ]]; then
  CLI=(node dist/cli.js)
  if [[ -n "$(find src -name '*.ts*' -newer dist/cli.js -print -quit 2>/dev/null)" ]]; then
    echo "cluster-local: warning: dist/ is older than src/ (run 'npm run build', or remove dist/ to run the sources)" >&2
  fi
else
  [[ -d node_modules/tsx ]] || die "neither dist/cli.js nor node_modules/tsx: run 'npm ci' first"
  CLI=(node --import tsx src/cli.ts)
fi
help_text="$("${CLI[@]}" --help 2>&1)" || die "'${CLI[*]} --help' failed: $help_text"
for role in api engine worker; do
  grep -Eq "^[[:space:]]+${role}[[:space:]]" <<<"$help_text" ||
    die "'${CLI[*]}' has no '${role}' command$([[ ${CLI[1]} == dist/cli.js ]] && echo " (an old build? run 'npm run build')")"
done

# ---- URL parts (node's URL parser; user, password and query are kept as they are) ----
url_part() { # url_part URL host|port|db|maintenance DEFAULT_PORT
  node -e '
    const [raw, part, defaultPort] = process.argv.slice(1);
    const url = new URL(raw);
    const out = {
      host: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
      port: url.port || defaultPort,
      db: decodeURIComponent(url.pathname.replace(/^\//, "")),
    };
    if (part === "maintenance") { url.pathname = "/postgres"; out.maintenance = url.toString(); }
    process.stdout.write(String(out[part]));
  ' "$1" "$2" "$3"
}

tcp_open() { # tcp_open HOST PORT: succeeds when something accepts connections there
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# ---- PostgreSQL ----
[[ "$DATABASE_URL" =~ ^postgres(ql)?:// ]] || die "DATABASE_URL must start with postgres:// or postgresql://"
pg_host="$(url_part "$DATABASE_URL" host 5432)" || die "DATABASE_URL is not a valid URL"
pg_port="$(url_part "$DATABASE_URL" port 5432)"
pg_db="$(url_part "$DATABASE_URL" db 5432)"
[[ -n "$pg_db" ]] || die "DATABASE_URL names no database (…/<name> at the end)"
tcp_open "$pg_host" "$pg_port" ||
  die "PostgreSQL is not reachable at $pg_host:$pg_port (DATABASE_URL). Start PostgreSQL or point DATABASE_URL elsewhere."
if command -v psql >/dev/null; then
  maintenance_url="$(url_part "$DATABASE_URL" maintenance 5432)"
  exists="$(psql "$maintenance_url" -XtAc "select 1 from pg_database where datname = '${pg_db//\'/\'\'}'" 2>&1)" ||
    die "cannot query PostgreSQL at $pg_host:$pg_port: $exists"
  if [[ "$exists" != "1" ]]; then
    psql "$maintenance_url" -Xq -c "create database \"${pg_db//\"/\"\"}\"" || die "cannot create database '$pg_db'"
    echo "Created database $pg_db"
  fi
else
  echo "cluster-local: psql not found; assuming database '$pg_db' exists" >&2
fi

# ---- NATS: the server's INFO line says whether JetStream is on ----
[[ "$NATS_URL" =~ ^(nats|tls):// ]] || die "NATS_URL must start with nats:// or tls://"
nats_host="$(url_part "$NATS_URL" host 4222)" || die "NATS_URL is not a valid URL"
nats_port="$(url_part "$NATS_URL" port 4222)"
nats_info="$(
  { exec 3<>"/dev/tcp/$nats_host/$nats_port"; } 2>/dev/null || exit 0
  IFS= read -r -t 5 line <&3 || true
  printf '%s' "$line"
)"
[[ -n "$nats_info" ]] ||
  die "NATS is not reachable at $nats_host:$nats_port (NATS_URL). Start it with JetStream, e.g. 'nats-server -js -sd /tmp/nats'."
[[ "$nats_info" == *'"jetstream":true'* ]] ||
  die "NATS at $nats_host:$nats_port runs without JetStream; restart it with -js."

# ---- ports must be free ----
for ((i = 0; i < ${#ROLES[@]}; i++)); do
  port=$((BASE_PORT + i))
  ! tcp_open 127.0.0.1 "$port" || die "port $port is already in use (set BASE_PORT to move the cluster)"
done

mkdir -p "$LOG_DIR"

# ---- migrate once, before any role starts ----
echo "Migrating $pg_host:$pg_port/$pg_db ..."
"${CLI[@]}" migrate >"$LOG_DIR/migrate.log" 2>&1 || {
  cat "$LOG_DIR/migrate.log" >&2
  die "migration failed (log: $LOG_DIR/migrate.log)"
}
sed 's/^/  /' "$LOG_DIR/migrate.log"

# ---- start the roles; stop them all on Ctrl-C, SIGTERM or any failure ----
pids=()
names=()
ports=()
stopping=0

stop_all() {
  local status=$?
  ((stopping)) && return
  stopping=1
  trap - INT TERM HUP EXIT
  if ((${#pids[@]} > 0)); then
    echo
    echo "Stopping ${#pids[@]} process(es) with SIGTERM ..."
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + 30))
    for i in "${!pids[@]}"; do
      while kill -0 "${pids[$i]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      if kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "  ${names[$i]} (pid ${pids[$i]}) did not stop within 30 s: SIGKILL"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
      fi
      local code=0
      wait "${pids[$i]}" 2>/dev/null || code=$?
      echo "  ${names[$i]} (pid ${pids[$i]}) exited with status $code"
    done
  fi
  exit "$status"
}
trap 'stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Own session per child (setsid), so a terminal's Ctrl-C reaches only this script, which then stops them in order.
detach=()
if command -v setsid >/dev/null; then detach=(setsid); fi

previous_role=""
for ((i = 0; i < ${#ROLES[@]}; i++)); do
  role="${ROLES[$i]}"
  if [[ "$role" == "$previous_role" ]]; then n=$((n + 1)); else n=1; fi
  previous_role="$role"
  name="$role-$n"
  port=$((BASE_PORT + i))
  ${detach[@]+"${detach[@]}"} "${CLI[@]}" "$role" --port "$port" >"$LOG_DIR/$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
  ports+=("$port")
done

# ---- wait for every /health ----
echo "Waiting for ${#pids[@]} processes to answer /health ..."
for i in "${!pids[@]}"; do
  url="http://127.0.0.1:${ports[$i]}/health"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} exited during startup; the end of $LOG_DIR/${names[$i]}.log:" >&2
      tail -n 20 "$LOG_DIR/${names[$i]}.log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "${names[$i]} did not answer $url within ${HEALTH_TIMEOUT} s; the end of $LOG_DIR/${names[$i]}.log:" >&2
      tail -n 20 "$LOG_DIR/${names[$i]}.log" >&2
      exit 1
    fi
    sleep 0.5
  done
done

display_host="$HOST"
[[ "$HOST" == 0.0.0.0 || "$HOST" == "::" ]] && display_host=127.0.0.1
[[ "$display_host" == *:* ]] && display_host="[$display_host]"
echo
printf '%-10s %-8s %s\n' ROLE PID URL
for i in "${!pids[@]}"; do
  printf '%-10s %-8s %s\n' "${names[$i]}" "${pids[$i]}" "http://$display_host:${ports[$i]}"
done
echo
echo "Store: postgres $pg_host:$pg_port/$pg_db, NATS: $nats_host:$nats_port. Logs: $LOG_DIR/<role>-<n>.log"
echo "Metrics: http://$display_host:<port>/metrics. Press Ctrl-C to stop everything."

# ---- run until a signal, or until a process exits on its own ----
# (bash reaps exited children as they end, so `kill -0` fails for them; `wait PID` later still reports their status.)
while true; do
  sleep 1
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "${names[$i]} (pid ${pids[$i]}) exited on its own; the end of $LOG_DIR/${names[$i]}.log:" >&2
      tail -n 20 "$LOG_DIR/${names[$i]}.log" >&2
      exit 1
    fi
  done
done
