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

## test: every test (SQLite always; MySQL when HUIMIN_TEST_MYSQL_DSN is set; browser tests when chromium is installed)
test: admin
	@if [ -f cms/admin/ui/package.json ]; then cd cms/admin/ui && npm test; fi
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 45m ./...

## bench: the performance benchmarks that print the ratios DESIGN.md names
bench:
	$(GO) test -run '^$$' -bench VersusVips -benchtime 1x ./cms/media/
	$(GO) test -run '^$$' -bench BenchmarkContentAPI -benchtime 1x ./cms/web/
	$(GO) test -run '^$$' -bench BenchmarkBeacon -benchtime 1x ./cms/web/
	$(GO) test -run '^$$' -bench BenchmarkStatsReport -benchtime 1x -timeout 30m ./cms/store/
	$(GO) test -run '^$$' -bench BenchmarkBeaconPublish -benchtime 1x -timeout 30m ./cms/cli/
	$(GO) test -run '^$$' -bench BenchmarkPublish -benchtime 1x -timeout 60m ./cms/cli/
	$(GO) test -run '^$$' -bench BenchmarkSite_LargeBuild -benchtime 1x -timeout 30m ./site/
	$(GO) test -run '^$$' -bench BenchmarkReplicas -benchtime 1x -timeout 60m ./cms/cli/

clean:
	rm -rf huimin cms/admin/dist/assets cms/admin/dist/index.html
