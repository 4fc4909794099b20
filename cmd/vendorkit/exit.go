package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// Exit codes, documented in the README and in `vendorkit --help`.
const (
	exitOK          = 0
	exitHTTP        = 1   // a resource answered >= 400 (Decisiv's 403 included)
	exitUsage       = 2   // bad flags or arguments, missing or invalid configuration
	exitAuth        = 3   // the vendor refused the credentials, or still 401 after the re-auth
	exitNetwork     = 4   // network failure or timeout
	exitUnusable    = 5   // the vendor answered something vendorkit cannot use
	exitInterrupted = 130 // SIGINT (Ctrl-C); SIGTERM gives 143
)

// exitCodes is the table `vendorkit --help` and the README print.
const exitCodes = `Exit codes:
  0    ok
  1    a resource answered >= 400 (Decisiv's 403 included); status and scrubbed body on stderr
  2    usage or configuration
  3    the vendor refused the credentials (invalid_client or invalid_grant at a token
       endpoint), or a call was still 401 after the one re-auth; the vendor's scrubbed body on stderr
  4    network failure or timeout (a dead host, --timeout, a token endpoint answering
       429/5xx)
  5    the vendor answered something vendorkit cannot use: a malformed or over-size
       token response, a token with control characters, a redirect from a token endpoint
  130  interrupted (Ctrl-C; 143 for SIGTERM)`

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

// timeoutError: the command ran out of its --timeout.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string {
	return fmt.Sprintf("timed out after %v (--timeout; 0 means no bound)", e.d)
}

// interrupted is the cause of the root context when a signal ends the run.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted (" + e.sig.String() + ")" }

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var (
		ue usageError
		he httpError
		se silentError
		te timeoutError
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
	case errors.As(err, &te):
		return exitNetwork
	case errors.Is(err, auth.ErrInvalidCredentials), errors.Is(err, auth.ErrInvalidGrant),
		errors.Is(err, auth.ErrUnauthorized), errors.Is(err, auth.ErrReloginRequired):
		return exitAuth
	case errors.Is(err, auth.ErrMalformedResponse), errors.Is(err, auth.ErrResponseTooLarge),
		errors.Is(err, auth.ErrUnexpectedRedirect), errors.Is(err, auth.ErrInsecureTransport):
		return exitUnusable
	case errors.As(err, &ae):
		switch {
		case ae.Op == auth.OpRequest && ae.StatusCode >= 400:
			return exitHTTP // e.g. Decisiv's 403: the resource answered
		case errors.Is(err, auth.ErrTokenEndpointUnavailable), ae.StatusCode == 0:
			return exitNetwork // 429/5xx at a token endpoint, or no answer
		default:
			return exitUnusable // a token endpoint answered something else (404, 400 invalid_request…)
		}
	case errors.Is(err, context.DeadlineExceeded), isNetwork(err):
		return exitNetwork
	}
	return exitHTTP
}

// isNetwork: a failure of the network itself, not of what answered.
func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET)
}

// report prints err in one line that says "vendorkit:" once (secrets
// already scrubbed by the layers below, scrubbed again here, terminal
// escapes removed) and returns its exit code. ctx is the run's root
// context: when a signal cancelled it, the run was interrupted, whatever
// error that caused.
func report(ctx context.Context, stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var in interrupted
	if errors.As(context.Cause(ctx), &in) {
		fmt.Fprintln(stderr, "vendorkit: interrupted")
		if in.sig == syscall.SIGTERM {
			return 128 + int(syscall.SIGTERM)
		}
		return exitInterrupted
	}
	var se silentError
	var he httpError
	if !errors.As(err, &se) && !errors.As(err, &he) {
		fmt.Fprintln(stderr, "vendorkit:", errorLine(err))
	}
	return exitCode(err)
}

// errorLine is err's text for stderr: on one line, "vendorkit: " not
// repeated (auth.SafeErrorString drops net/http's *url.Error around a
// vendor error).
func errorLine(err error) string {
	return termSafe(strings.TrimPrefix(oneLine(auth.SafeErrorString(err)), "vendorkit: "))
}
