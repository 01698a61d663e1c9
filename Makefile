# The two commands a new user needs: `make run` and `make test`.
GO ?= go
ADMIN_SRC := $(shell find cms/admin/ui/src cms/admin/ui/index.html cms/admin/ui/package.json cms/admin/ui/package-lock.json cms/admin/ui/vite.config.* -type f 2>/dev/null)

.PHONY: run test build admin vet bench clean

## run: build everything (admin UI included) and serve with the embedded defaults and demo content
run: build
	./huimin serve

## build: compile the admin UI and the huimin binary
build: admin
	$(GO) build -o huimin .

## admin: compile the admin UI into cms/admin/dist (embedded by go build)
admin: cms/admin/dist/index.html

cms/admin/dist/index.html: $(ADMIN_SRC)
	@if [ -f cms/admin/ui/package.json ]; then \
		cd cms/admin/ui && npm ci --no-audit --no-fund && npm run build; \
	else echo "no admin UI sources yet"; fi

## test: every test (SQLite always; MySQL when HUIMIN_TEST_MYSQL_DSN is set; browser tests when chromium is installed).
## -parallel 4: most end-to-end and browser tests wait on a server, a browser or a poll; two at a time left a core idle.
test: admin
	@if [ -f cms/admin/ui/package.json ]; then cd cms/admin/ui && npm test; fi
	$(GO) vet ./...
	$(GO) test -count=1 -parallel 4 -timeout 45m ./...

## bench: every benchmark against its real peer (hugo CLI, vipsthumbnail, PocketBase, installed or built on first use), then one table of each target (bench/out/bench.json; README: Reading the benchmark table)
bench: admin
	bash bench/run.sh

clean:
	rm -rf huimin cms/admin/dist/assets cms/admin/dist/index.html
