package decisiv_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/decisiv"
)

// exampleServer stands in for api.staging.decisiv.net: the docs' XML token
// response, a bearer test endpoint, and one endpoint that refuses bearer
// tokens with 403.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /platform_api/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		if k, s, _ := r.BasicAuth(); k != "consumer_key" || s != "consumer_secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, docsXML, 1)
	})
	mux.HandleFunc("GET /platform_api/bearer_test", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tokPrefix+"1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("admin") != "" {
			w.WriteHeader(http.StatusForbidden) // "a Bearer token is used for an endpoint that doesn't support it"
		}
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := exampleServer() // in production: "https://api.staging.decisiv.net"
	defer srv.Close()

	c, err := decisiv.New(decisiv.Config{
		BaseURL:        srv.URL,
		ConsumerKey:    "consumer_key",
		ConsumerSecret: "consumer_secret",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

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
	srv := exampleServer()
	defer srv.Close()

	c, err := decisiv.New(decisiv.Config{BaseURL: srv.URL, ConsumerKey: "consumer_key", ConsumerSecret: "consumer_secret"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	withQuery := func(ctx context.Context, req *http.Request) error {
		req.URL.RawQuery = "admin=1"
		return nil
	}
	_, err = c.BearerTestWithResponse(context.Background(), withQuery)
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
