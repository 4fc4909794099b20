// Package client is the shared wiring of vendorkit's vendor clients
// (client/bss, client/blueprint, client/decisiv, client/ioffice).
//
// Applications use it for the options every vendor client accepts:
//
//	c, err := bss.New(cfg,
//		client.WithHTTPClient(&http.Client{Timeout: 20 * time.Second}),
//		client.WithLogger(logger),
//		client.WithRetry(5, 200*time.Millisecond, 10*time.Second),
//		client.WithTokenStore(store),
//	)
//
// Vendor packages use the rest: a Stack builds, from the options, the
// token-endpoint *http.Client (no token, 1 MiB response cap), the
// auth.Source for the vendor's flow and the resource *http.Client (token
// placement, re-auth statuses, response hook); ReadTokenResponse and
// JSONToken turn the result of a generated token-endpoint operation into an
// *auth.Token or a typed *auth.Error with no secret in it; Env and Check read
// and validate configuration. A new vendor package is a Config, a flow (its
// token requests made through its generated client) and a New that wires
// them with a Stack.
package client
