#!/usr/bin/env bash
# Many targets across cores or machines with GNU parallel: one smtpdoctor per shard, the shard
# index from parallel's {}; the JSON Lines of all shards concatenated are the whole run.
#
#   deploy/parallel.sh LIST SHARDS [parallel options...] > results.jsonl
#
#   deploy/parallel.sh domains.txt 4                           # 4 shards on this machine
#   deploy/parallel.sh domains.txt 16 --sshloginfile hosts     # 16 shards over the hosts listed
#
# --sshloginfile names one `[user@]host` per line (`N/host` runs N jobs there at once; `:` is
# this machine); the list is copied to each host once (--basefile, to the same path, or below
# the remote home directory when the path is relative) and smtpdoctor must be on the remote
# PATH. --line-buffer passes each finished line on at once, so documents of different shards
# interleave but are never cut.
#
# Each shard probes $JOBS targets at once (default 64) with --per-host 1 for each address it
# connects to; shards do not coordinate, so N shards may hold up to N connections to one shared
# MX host at a time. Other probe options: SMTPDOCTOR_* variables (local jobs inherit them; add
# `--env SMTPDOCTOR_TIMEOUT` etc. to the parallel options for remote ones), e.g.
# SMTPDOCTOR_TIMEOUT=30s SMTPDOCTOR_STARTTLS=require.
#
# parallel exits with the number of shards whose smtpdoctor exited non-zero (1 and 2 are
# findings, 3 a failure); the worst verdict of the run is in the documents:
#   jq -n '[inputs.exit_code] | max' results.jsonl
set -euo pipefail
list=${1:?usage: $0 LIST SHARDS [parallel options...]}
shards=${2:?usage: $0 LIST SHARDS [parallel options...]}
shift 2
base=()
case " $* " in *" --sshlogin"* | *" -S "* | *" --slf "*) base=(--basefile "$list") ;; esac
seq 0 $((shards - 1)) |
    exec parallel --will-cite --line-buffer "${base[@]}" -j "$shards" "$@" \
        smtpdoctor probe --targets "$list" --shard "{}/$shards" -j "${JOBS:-64}" --json
