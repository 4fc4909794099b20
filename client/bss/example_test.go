package bss_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/bss"
	"github.com/vendorkit/vendorkit/sandbox"
)

func Example() {
	ctx := context.Background()
	// A local stand-in for a BSS deployment; in production BaseURL is e.g.
	// "https://my.interworkscloud.com/bsssmapi".
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := bss.New(bss.Config{
		BaseURL:      sb.Vendor("bss").BaseURL, // http://127.0.0.1:PORT/bsssmapi
		ClientKey:    "23230e67-6c95-4f83-a176-d969b95ee601",
		ClientSecret: "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=",
		Username:     "testuser",
		Password:     "user123456!",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.GetAccountWithResponse(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode(), resp.JSON200.Id, *resp.JSON200.Name)
	// Output: 200 1 Contoso Cloud Services Ltd
}

// Credentials from VENDORKIT_BSS_* variables.
func ExampleFromEnv() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	unset := setenv(sb.Vendor("bss").Env()) // what a deployment would export
	defer unset()

	cfg, err := bss.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := bss.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.ListAccountSyncOptionsWithResponse(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(*resp.JSON200), "sync options")
	// Output: 12 sync options
}

// A wrong password is an *auth.Error that errors.Is classifies as invalid
// credentials; its text never holds the password.
func Example_badCredentials() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := bss.New(bss.Config{
		BaseURL:      sb.Vendor("bss").BaseURL,
		ClientKey:    "23230e67-6c95-4f83-a176-d969b95ee601",
		ClientSecret: "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=",
		Username:     "testuser",
		Password:     "wrong!",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.GetAccountWithResponse(ctx, 1)
	var ae *auth.Error
	fmt.Println(errors.Is(err, auth.ErrInvalidCredentials), errors.As(err, &ae) && ae.Code == "invalid_grant")
	// Output: true true
}
