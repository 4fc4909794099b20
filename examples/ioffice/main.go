// Command ioffice reads the current iOFFICE user with a headless login,
// then logs out: both the access and the refresh token are revoked.
//
//	go run ./examples/ioffice
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/vendorkit/vendorkit/client/ioffice"
)

func main() {
	log.SetFlags(0)
	cfg, err := ioffice.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := ioffice.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	me, err := c.GetCurrentUserWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if me.JSON200 == nil {
		log.Fatalf("users/me: HTTP %d", me.StatusCode())
	}
	email := ""
	if me.JSON200.Email != nil {
		email = *me.JSON200.Email
	}
	fmt.Printf("user %d <%s>\n", me.JSON200.Id, email)
	if err := c.Revoke(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged out: access and refresh token revoked")
}
