package client

import (
	"context"
	"time"

	"github.com/vendorkit/vendorkit/auth"
)

// Vendor describes one vendor client package to tools that choose the
// vendor at run time: the vendorkit command, its demo, the contract suite.
// Each vendor package exports its own (bss.Descriptor()); client/vendors
// lists them. Applications that know their vendor call its New directly.
//
// Capabilities beyond the grant live on an open client's flow, found by
// type assertion as the Source finds them, through Session.Source().Flow():
// auth.Refresher (a refresh token can be redeemed) and auth.Revoker
// (tokens can be revoked). Refreshes and Revokes say so before a client
// is open (client/vendors' tests hold them to the flow).
type Vendor struct {
	// Name is the vendor's name: VENDORKIT_<NAME>_*, --vendor NAME.
	Name string
	// Env lists the VENDORKIT_<NAME>_<FIELD> variables Open reads, and
	// those the sample call and the contract suite read.
	Env []EnvVar
	// Open builds the vendor's client from the variables read through
	// lookup (nil: the process environment). The Session's dynamic type is
	// the vendor's *Client.
	Open func(lookup func(string) (string, bool), opts ...Option) (Session, error)
	// Grant describes the vendor's primary grant as its token endpoints see
	// it.
	Grant Grant
	// SampleOperation is the operationId of the sample call, and Sample
	// makes it through c (what Open returned), saying what came back.
	SampleOperation string
	Sample          func(ctx context.Context, c Session, lookup func(string) (string, bool)) (status int, summary string, err error)
	// BearerRefused, when not nil, is the error a call to an endpoint that
	// refuses bearer tokens returns (Decisiv's ErrBearerNotSupported, for
	// its 403): a status that is not a token problem. The variable
	// BEARER_REFUSED_PATH names such an endpoint for the contract suite.
	BearerRefused error
	// Refreshes: the flow is an auth.Refresher (the vendor issues refresh
	// tokens). Revokes: the flow is an auth.Revoker.
	Refreshes, Revokes bool
	// BrowserLogin: the vendor's *Client signs users in through a browser
	// (client/vendors.BrowserLogin).
	BrowserLogin bool
	// Placement is where a default client puts the access token on
	// resource requests: a tool adding its user's headers refuses that
	// one rather than let the token silently replace it.
	Placement auth.Placement
}

// EnvVar is one VENDORKIT_<NAME>_<Field> variable.
type EnvVar struct {
	Field string // "CLIENT_SECRET"
	// Required: Open fails without it. Grant: the primary grant needs it
	// (a browser-only client may do without, a headless run may not).
	Required, Grant bool
	Secret          bool   // never printed, scrubbed from everything
	Doc             string // what it is, for help text
}

// Grant describes a vendor's primary grant.
type Grant struct {
	// Description says what it is, e.g. "password grant, client key and
	// secret as HTTP Basic".
	Description string
	// Operations are the operationIds of the token requests one login
	// makes, in order ("requestAuthCode", "requestToken").
	Operations []string
	// TokenOperation is the operationId whose 2xx body is the token
	// response.
	TokenOperation string
	// LifetimeUnit is expires_in's unit (time.Second, or iOFFICE's
	// time.Millisecond); 0 when the vendor announces no lifetime.
	LifetimeUnit time.Duration
	// IssuedExpires names the token response's date fields, when it has
	// them (Blueprint: ".issued", ".expires"), whose difference is the
	// lifetime.
	IssuedExpires [2]string
}
