#!/usr/bin/env bash
# run.sh is `make bench`: it installs the peers (peers.sh), runs every
# benchmark as one step each, keeping each step's output in out/logs/STEP.log
# as well as printing it, and ends with the table (table/) of every target
# against its peer, written also to out/bench.json and out/table.txt.
#
# Sizes are the benchmarks' defaults (10,000 stories where DESIGN.md says
# so) and are chosen so the whole run takes under 30 minutes on a 2-core
# machine. BENCH_STEPS="media upload" runs only those steps again and keeps
# the other steps' logs from the last run, so the table mixes two runs (its
# steps line says which took how long). The replica
# benchmark needs HUIMIN_TEST_MYSQL_DSN and HUIMIN_TEST_S3_ENDPOINT, the
# admin one Debian's chromium and the built admin UI; without them their
# rows say "not measured" and why.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
out=bench/out
logs=$out/logs
mkdir -p "$logs"
if [ -z "${BENCH_STEPS:-}" ]; then
	rm -f "$logs"/*
fi
touch "$logs/steps.tsv"

echo "== peers =="
bash bench/peers.sh >"$out/peers.env" 2> >(tee "$logs/peers.log" >&2)
wait
set -a
. "$out/peers.env"
set +a
cat "$out/peers.env"

want() { [ -z "${BENCH_STEPS:-}" ] || [[ " $BENCH_STEPS " == *" $1 "* ]]; }

# step NAME COMMAND...: run one benchmark, log it, record its time and exit code.
step() {
	local name=$1
	shift
	want "$name" || return 0
	echo
	echo "== $name: $* =="
	local t0 t1 rc
	t0=$(date +%s.%N)
	"$@" 2>&1 | tee "$logs/$name.log"
	rc=${PIPESTATUS[0]}
	t1=$(date +%s.%N)
	sed -i "/^$name\t/d" "$logs/steps.tsv"
	awk -v n="$name" -v a="$t0" -v b="$t1" -v rc="$rc" 'BEGIN { printf "%s\t%.1f\t%d\n", n, b - a, rc }' >>"$logs/steps.tsv"
}

bench() { # bench PACKAGE PATTERN [go test flags...]
	local pkg=$1 pattern=$2
	shift 2
	$GO test -count=1 -run '^$' -bench "$pattern" -benchtime 1x -timeout 30m "$@" "$pkg"
}

step media bench ./cms/media/ '^BenchmarkVersusVipsthumbnail$'
step upload bench ./cms/cli/ '^BenchmarkUploadVersusVips$'
step content bench ./cms/web/ '^BenchmarkContentAPI$'
step pagesize $GO test -count=1 -run '^TestSite_BuildNow$' -v ./site/
step beacon bench ./cms/web/ '^BenchmarkBeacon$'
step stats bench ./cms/store/ '^BenchmarkStatsReport$'
step beaconpublish bench ./cms/cli/ '^BenchmarkBeaconPublish$'
step publish bench ./cms/cli/ '^BenchmarkPublish$'
step sites bench ./cms/cli/ '^BenchmarkSites_PublishUnderRebuild$' -timeout 60m
step site bench ./site/ '^BenchmarkSite_LargeBuild$'
step linkcheck bench ./site/ '^BenchmarkSite_LinkCheck$'
step replicas bench ./cms/cli/ '^BenchmarkReplicas$'
step admin $GO test -count=1 -run '^$' -bench '^BenchmarkAdminFirstScreen$' -benchtime 5x -timeout 30m ./cms/admin/

(cd bench && $GO run ./table -logs out/logs -json out/bench.json) | tee "$out/table.txt"
