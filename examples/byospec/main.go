// Command byospec calls an endpoint through a client generated from a
// spec of its own ("bring your own spec"), on the BSS client's HTTPClient:
// the same token, cache, re-auth and retries as the shipped typed client.
//
//	go run ./examples/byospec [ACCOUNT_ID]
package main

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config codegen.yaml syncoptions.yaml

import (
	"context"
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/vendorkit/vendorkit/client/bss"
)

func main() {
	log.SetFlags(0)
	id := int64(1)
	if len(os.Args) > 1 {
		n, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil {
			log.Fatalf("account id: %v", err)
		}
		id = n
	}
	cfg, err := bss.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := bss.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// The generated client of syncoptions.yaml, sending through the BSS
	// client's authorized *http.Client.
	mine, err := NewClientWithResponses(c.BaseURL(), WithHTTPClient(c.HTTPClient()))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := mine.ListSyncOptionsWithResponse(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	if resp.JSON200 == nil {
		log.Fatalf("HTTP %d: %s", resp.StatusCode(), c.Scrub(string(resp.Body)))
	}
	for _, o := range *resp.JSON200 {
		fmt.Printf("%s enabled=%v\n", o.SystemCode, o.Enabled != nil && *o.Enabled)
	}
}
