// Command blueprint lists Blueprint CPQ pages and says who is logged in
// (the login response describes the user).
//
//	go run ./examples/blueprint
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vendorkit/vendorkit/client/blueprint"
)

func main() {
	log.SetFlags(0)
	cfg, err := blueprint.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := blueprint.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	pages, err := c.ListPagesWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if pages.JSON200 == nil {
		log.Fatalf("pages: HTTP %d", pages.StatusCode())
	}
	user, err := c.User(ctx) // from the same login: no second request
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d pages for %s (session until %s)\n", len(*pages.JSON200), user.UserName, user.Expires.Format(time.RFC1123))
}
