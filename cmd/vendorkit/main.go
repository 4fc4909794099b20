// Command vendorkit is the command line for vendorkit's clients: a demo on the
// embedded sandbox, and token, do, revoke, sandbox and contract commands that
// a Go engineer reaches for like curl or oauth2l.
//
// Exit codes: 0 ok, 1 HTTP error (status >= 400), 2 usage or configuration,
// 3 authentication failure, 4 network failure.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newRootCommand(stdin, stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return report(stderr, err)
}
