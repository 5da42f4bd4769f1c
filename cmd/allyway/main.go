// Command allyway is Allyway's one binary: the web server, migrations, the
// demo seed, a development mode that brings its own PostgreSQL, and admin
// helpers. main only calls run; tests call run too.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "allyway:", err)
		os.Exit(1)
	}
}
