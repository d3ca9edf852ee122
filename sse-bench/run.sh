#!/usr/bin/env bash
# Builds sse-bench and runs the whole comparison; extra arguments go to the bench (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
# 10,000 client sockets in one process plus each server's own: raise the soft limit up to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mvn -B -ntp -q -pl sse-bench -am package -DskipTests -Dmaven.javadoc.skip=true
exec java -jar sse-bench/target/sse-bench.jar "$@"
