package decisiv_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/decisiv"
	"github.com/vendorkit/vendorkit/sandbox"
)

func Example() {
	ctx := context.Background()
	// A local stand-in for the API; in production BaseURL is e.g.
	// "https://api.staging.decisiv.net".
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := decisiv.New(decisiv.Config{
		BaseURL:        sb.Vendor("decisiv").BaseURL,
		ConsumerKey:    "5f0c8a7e3b9d4e21a6c4f7b2d18e9a03",
		ConsumerSecret: "Qm9yZWFsaXMtc2FuZGJveC1zZWNyZXQtMjAyNA",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.BearerTestWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("bearer test:", resp.StatusCode())

	tok, err := c.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("type:", tok.TokenType, "expires:", !tok.Expiry.IsZero())
	// Output:
	// bearer test: 200
	// type: Bearer expires: false
}

// A 403 is not a token problem: the call fails with ErrBearerNotSupported
// and no new token is fetched.
func Example_forbidden() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Vendors: []sandbox.VendorOptions{
		sandbox.DecisivOptions{BearerRefusedPaths: []string{"/platform_api/bearer_test"}},
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := decisiv.New(decisiv.Config{
		BaseURL:        sb.Vendor("decisiv").BaseURL,
		ConsumerKey:    "5f0c8a7e3b9d4e21a6c4f7b2d18e9a03",
		ConsumerSecret: "Qm9yZWFsaXMtc2FuZGJveC1zZWNyZXQtMjAyNA",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.BearerTestWithResponse(ctx)
	fmt.Println(errors.Is(err, decisiv.ErrBearerNotSupported))
	var ae *auth.Error
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode)
	}
	fmt.Println("token fetches:", c.Source().Stats().Fetches)
	// Output:
	// true
	// 403
	// token fetches: 1
}
