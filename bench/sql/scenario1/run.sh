#!/usr/bin/env bash
# PostgreSQL's share of scenario 1, without any server: how many screens
# per second PostgreSQL answers with the baseline's two statements, the
# general path's two, the compiled plan's one, and one statement building
# the whole JSON answer.
#
#   bench/sql/scenario1/run.sh postgres://postgres@127.0.0.1:5432/DB [rounds] [seconds]
#
# DB is a database the suite seeded and kept (`seatwise-bench --backend
# postgres --keep-database`). The scripts run in turn, `rounds` times
# (default 3), `seconds` each (default 6), prepared, with 4 clients:
# compare the figures of one run, never across runs.
set -euo pipefail
url=${1:?usage: run.sh DATABASE_URL [rounds] [seconds]}
rounds=${2:-3}
seconds=${3:-6}
here=$(cd "$(dirname "$0")" && pwd)
psql -q "$url" -f "$here/setup.sql"
for round in $(seq "$rounds"); do
    for script in baseline server compiled one_statement_json; do
        tps=$(pgbench -n -M prepared -c 4 -j 2 -T "$seconds" -f "$here/$script.sql" "$url" 2>&1 \
            | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
        printf '%s\t%-20s\t%s screens/s\n' "$round" "$script" "${tps:-failed}"
    done
done
