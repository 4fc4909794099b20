// Command bss reads a BSS account with the typed client. The token (the
// password grant, key and secret as HTTP Basic), X-Api-Version, the
// re-auth after a 401 and the retries are the client's business.
//
//	go run ./examples/bss [ACCOUNT_ID]
package main

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
	cfg, err := bss.FromEnv() // VENDORKIT_BSS_BASE_URL, _CLIENT_KEY, ...
	if err != nil {
		log.Fatal(err)
	}
	c, err := bss.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// Resource calls have no default timeout, as in net/http: bound them.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := c.GetAccountWithResponse(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	if resp.JSON200 == nil {
		log.Fatalf("account %d: HTTP %d: %s", id, resp.StatusCode(), c.Scrub(string(resp.Body)))
	}
	name := ""
	if resp.JSON200.Name != nil {
		name = *resp.JSON200.Name
	}
	fmt.Printf("account %d: %s\n", resp.JSON200.Id, name)
}
