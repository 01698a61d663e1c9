// Command huimin publishes the service-brand campaigns of civil-affairs
// bureaus: a headless CMS, a media pipeline and an in-process Hugo build in
// one binary. See README.md; the command itself is cms/cli.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/huimin/huimin/cms/cli"
)

// hugoProject is the public site's Hugo project (config and theme), built
// into the binary so a fresh machine needs nothing else.
//
//go:embed config.toml all:themes
var hugoProject embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr, hugoProject); err != nil {
		fmt.Fprintln(os.Stderr, "huimin:", err)
		os.Exit(1)
	}
}
