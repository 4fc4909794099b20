// Package client is what applications use across vendorkit's vendor
// clients (client/bss, client/blueprint, client/decisiv, client/ioffice):
// the options every vendor's New accepts, the Session every vendor Client
// embeds, and the configuration errors.
//
//	c, err := bss.New(cfg,
//		client.WithLogger(logger),
//		client.WithRetry(5, 200*time.Millisecond, 10*time.Second),
//		client.WithTokenStore(store),
//	)
//	resp, err := c.GetAccountWithResponse(ctx, 1) // typed, token handled
//	hc := c.HTTPClient()                          // the same, for your own requests
//
// A vendor Client is its generated ClientWithResponses (the resource
// operations of gen/<vendor>api) plus a Session: Token, HTTPClient, Do,
// Source, BaseURL, Scrub and Close. Requests to the vendor's origin carry
// its token and static headers and are re-authenticated once on a 401;
// requests anywhere else carry no credential.
//
// Tools that choose a vendor at run time (the vendorkit command, the
// contract suite) find each vendor's Vendor descriptor in client/vendors.
package client
