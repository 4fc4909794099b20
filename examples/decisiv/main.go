// Command decisiv checks that a Decisiv bearer token is accepted. Decisiv
// announces no expiry: the token is kept until the API answers 401. A 403
// means the endpoint does not take bearer tokens at all; it is an error,
// never a reason to fetch another token.
//
//	go run ./examples/decisiv
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/decisiv"
)

func main() {
	log.SetFlags(0)
	cfg, err := decisiv.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	// The docs show "User-Agent: Application Name".
	c, err := decisiv.New(cfg, client.WithUserAgent("vendorkit-example"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	resp, err := c.BearerTestWithResponse(ctx)
	switch {
	case errors.Is(err, decisiv.ErrBearerNotSupported):
		log.Fatal("this endpoint does not accept bearer tokens")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("bearer token accepted (HTTP %d)\n", resp.StatusCode())
}
