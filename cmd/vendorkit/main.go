// Command vendorkit is the command line for vendorkit's clients: a demo on
// the embedded sandbox; token, do and revoke, which a Go engineer reaches
// for like curl or oauth2l; login, logout and status over the token cache
// that runs share; sandbox (and sandbox ctl to drive it) for fake vendors
// on loopback; and contract, which checks a deployment against the docs
// and the spec.
//
// Exit codes: see exitCodes (exit.go), printed by `vendorkit --help`.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		signal.Stop(sigs) // a second Ctrl-C kills at once
		cancel(interrupted{sig})
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	os.Exit(code)
}

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// stderr is written from more than one goroutine (-v lines from a
	// background refresh, the sandbox's request log), and the caller's
	// writer need not be safe for that. stdout is written by the command's
	// own goroutine only.
	stderr = &serializedWriter{w: stderr}
	cmd, g := newRootCommand(stdin, stdout, stderr)
	cmd.SetArgs(args)
	c, err := cmd.ExecuteContextC(ctx)
	var ue usageError
	if err != nil && c == cmd && !errors.As(err, &ue) {
		// The root runs nothing that fails: cobra could not find the
		// command.
		err = unknownCommand(cmd, args)
	}
	g.closeIdle()
	g.closeCache()
	return report(ctx, stderr, err)
}
