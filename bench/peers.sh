#!/usr/bin/env bash
# peers.sh installs the programs `make bench` measures Huimin against and
# prints, for run.sh to source, one line per peer:
#   HUIMIN_BENCH_HUGO=/path            or  HUIMIN_BENCH_HUGO_MISSING=reason
#   HUIMIN_BENCH_POCKETBASE=/path      or  HUIMIN_BENCH_POCKETBASE_MISSING=reason
#   HUIMIN_BENCH_VIPS=/path            or  HUIMIN_BENCH_VIPS_MISSING=reason
# Built binaries are cached under ~/.cache/huimin, keyed by version, so only
# the first run pays for compiling them. Progress goes to stderr.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cache=${HUIMIN_CACHE:-$HOME/.cache/huimin}
hugo_version=v0.165.0
mkdir -p "$cache"
log() { echo "peers: $*" >&2; }
# emit prints NAME=VALUE quoted for the shell, so reasons with spaces survive sourcing.
emit() { printf '%s=%q\n' "$1" "$2"; }
oneline() { tail -n 3 "$1" | tr '\n\t' '  ' | cut -c1-200; }

# hugo: the CLI built from the module proxy, the same release the product embeds.
hugo_bin=$cache/hugo-$hugo_version
if [ ! -x "$hugo_bin" ]; then
	log "building hugo $hugo_version from the module proxy (once; a few minutes)"
	src=$(mktemp -d)
	if (cd "$src" && go mod init huimin-bench-hugo >/dev/null 2>&1 &&
		go get "github.com/gohugoio/hugo@$hugo_version" &&
		CGO_ENABLED=0 go build -o "$hugo_bin.tmp" github.com/gohugoio/hugo) >"$cache/hugo-build.log" 2>&1; then
		mv "$hugo_bin.tmp" "$hugo_bin"
	fi
	rm -rf "$src"
fi
if [ -x "$hugo_bin" ]; then
	emit HUIMIN_BENCH_HUGO "$hugo_bin"
else
	emit HUIMIN_BENCH_HUGO_MISSING "go build of hugo $hugo_version failed: $(oneline "$cache/hugo-build.log")"
fi

# PocketBase: a small program in bench/pocketbase, its own module (PocketBase
# v0.40 needs Go 1.27, which the go command fetches from the module proxy).
pbdir=$here/pocketbase
export_tc() { GOTOOLCHAIN=go1.27.3 "$@"; }
pb_version=$(cd "$pbdir" && export_tc go list -m -f '{{.Version}}' github.com/pocketbase/pocketbase 2>"$cache/pocketbase-build.log")
pb_sum=$(cat "$pbdir/go.sum" "$pbdir"/*.go 2>/dev/null | sha256sum | cut -c1-12)
pb_bin=$cache/pocketbase-$pb_version-$pb_sum
if [ -n "$pb_version" ] && [ ! -x "$pb_bin" ]; then
	log "building the PocketBase $pb_version peer (once; a few minutes)"
	if (cd "$pbdir" && CGO_ENABLED=0 export_tc go build -o "$pb_bin.tmp" .) >"$cache/pocketbase-build.log" 2>&1; then
		mv "$pb_bin.tmp" "$pb_bin"
	fi
fi
if [ -n "$pb_version" ] && [ -x "$pb_bin" ]; then
	emit HUIMIN_BENCH_POCKETBASE "$pb_bin"
	emit HUIMIN_BENCH_POCKETBASE_VERSION "$pb_version"
elif [ -z "$pb_version" ]; then
	emit HUIMIN_BENCH_POCKETBASE_MISSING "github.com/pocketbase/pocketbase could not be resolved: $(oneline "$cache/pocketbase-build.log")"
else
	emit HUIMIN_BENCH_POCKETBASE_MISSING "go build of the PocketBase $pb_version peer failed: $(oneline "$cache/pocketbase-build.log")"
fi

# vipsthumbnail: Debian's libvips-tools.
if ! command -v vipsthumbnail >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing libvips-tools with apt-get"
		{ apt-get install -y -q libvips-tools || { apt-get update -q && apt-get install -y -q libvips-tools; }; } >"$cache/vips-install.log" 2>&1
	else
		echo "not root or no apt-get" >"$cache/vips-install.log"
	fi
fi
if command -v vipsthumbnail >/dev/null 2>&1; then
	emit HUIMIN_BENCH_VIPS "$(command -v vipsthumbnail)"
else
	emit HUIMIN_BENCH_VIPS_MISSING "libvips-tools could not be installed: $(oneline "$cache/vips-install.log")"
fi
