// Command oauth2 lists Blueprint CPQ pages through golang.org/x/oauth2,
// for code that already takes an oauth2.TokenSource or an *http.Client
// from oauth2.NewClient. The vendor client is the token source: its
// cache, background refresh and token store serve x/oauth2.
//
// The adapter's limits: x/oauth2 sends "Authorization: Bearer" and nothing
// else, so it fits vendors with Bearer placement and no static headers
// (Blueprint, Decisiv), not iOFFICE (x-access-token) or BSS
// (X-Api-Version); oauth2.NewClient keeps its own copy of the token
// (ReuseTokenSource) and never reacts to a 401; and it sends the token on
// every request, to any host. Where you can, use the vendor client's
// HTTPClient() instead: placement, static headers, one re-auth on 401,
// and credentials for the vendor's origin only.
//
//	go run ./examples/oauth2
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"

	"golang.org/x/oauth2"

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

	hc := oauth2.NewClient(ctx, c.Source().OAuth2(ctx))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL()+"/pages", nil)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("pages: HTTP %d", resp.StatusCode)
	}
	var pages []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&pages); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d pages through x/oauth2\n", len(pages))
}
