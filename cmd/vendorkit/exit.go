package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/vendorkit/vendorkit/auth"
)

// Exit codes, documented in the README and in `vendorkit --help`.
const (
	exitOK      = 0
	exitHTTP    = 1 // the vendor answered with a status >= 400
	exitUsage   = 2 // bad flags or arguments, missing configuration
	exitAuth    = 3 // credentials refused, re-login required, still 401 after re-auth
	exitNetwork = 4 // host unreachable, connection dropped, timeout, token endpoint down
)

// usageError marks errors that are the caller's to fix: bad flags,
// arguments or configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// httpError is a response with a status >= 400 that `do` already printed.
type httpError struct{ status int }

func (e httpError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

// silentError carries an exit code for a failure whose story was already
// printed (the demo's and contract's tables).
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var (
		ue usageError
		he httpError
		se silentError
		ne net.Error
		ae *auth.Error
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &he):
		return exitHTTP
	case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, auth.ErrReloginRequired),
		errors.Is(err, auth.ErrUnauthorized), errors.Is(err, auth.ErrInvalidGrant),
		errors.Is(err, auth.ErrInsecureTransport):
		return exitAuth
	case errors.Is(err, auth.ErrTokenEndpointUnavailable), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne):
		return exitNetwork
	case errors.As(err, &ae) && ae.StatusCode == 0:
		return exitNetwork
	case errors.As(err, &ae):
		return exitAuth
	}
	var ue2 *url.Error
	if errors.As(err, &ue2) {
		return exitNetwork
	}
	return exitHTTP
}

// report prints err in one line (secrets already scrubbed by the layers
// below, and scrubbed again here) and returns its exit code.
func report(stderr io.Writer, err error) int {
	code := exitCode(err)
	var se silentError
	if err != nil && !errors.As(err, &se) {
		var he httpError
		if !errors.As(err, &he) {
			// The library's errors already say "vendorkit: "; say it once.
			msg := strings.TrimPrefix(oneLine(auth.SafeErrorString(err)), "vendorkit: ")
			fmt.Fprintln(stderr, "vendorkit:", msg)
		}
	}
	return code
}
