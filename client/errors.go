package client

import "errors"

// ErrInvalidConfig is wrapped by every configuration error a vendor's New
// returns. The error names the Config fields, never their values.
var ErrInvalidConfig = errors.New("vendorkit: invalid configuration")

// ErrMissingEnv is wrapped by the error a vendor's FromEnv returns when a
// required environment variable is unset or empty. The error names the
// variables, never a value.
var ErrMissingEnv = errors.New("vendorkit: missing environment variable")

// ErrForeignOrigin is returned by Session.Do for a request to another
// origin than the client's base URL: the client's credentials are for its
// own origin only.
var ErrForeignOrigin = errors.New("vendorkit: request is not for the client's base URL origin")

// ErrStateMismatch is wrapped by the error of a browser login's redirect
// parser (client/vendors.BrowserLogin.ParseLoginRedirect) when the
// redirect's state is not the one the login started with (a stale tab or
// a forged redirect): its code must not be used.
var ErrStateMismatch = errors.New("vendorkit: login redirect state does not match")

// ErrMissingState is wrapped by the error of a browser login's redirect
// parser when the redirect carries no state at all.
var ErrMissingState = errors.New("vendorkit: login redirect carries no state")
