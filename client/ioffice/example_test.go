package ioffice_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/internal/wiretest"
	"github.com/vendorkit/vendorkit/client/ioffice"
)

// exampleSite stands in for an iOFFICE site.
func exampleSite() (*fakeIOffice, *httptest.Server) {
	f := &fakeIOffice{expiresIn: 3_600_000, codes: map[string]bool{}, access: map[string]bool{}, refresh: map[string]bool{}}
	return f, httptest.NewServer(f)
}

// Headless: the client logs in with the user's credentials, exchanges the
// code at once, and refreshes as needed.
func Example() {
	_, srv := exampleSite() // in production: "https://<your site>"
	defer srv.Close()

	c, err := ioffice.New(ioffice.Config{
		BaseURL:     srv.URL,
		ClientID:    "client-1",
		Username:    "jdoe@example.com",
		Password:    "pa$$ w0rd!",
		RedirectURI: "https://app.example.com/oauth/callback",
		Scope:       "email",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	me, err := c.GetCurrentUserWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.JSON200.Id, *me.JSON200.Name)

	// Log out.
	if err := c.Revoke(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked")
	// Output:
	// 7 Jo Doe
	// revoked
}

// expires_in is in milliseconds: 3000 is three seconds.
func Example_expiry() {
	f, srv := exampleSite()
	defer srv.Close()
	f.expiresIn = 3000

	start := time.Date(2019, 4, 29, 16, 25, 19, 0, time.UTC)
	c, err := ioffice.New(ioffice.Config{
		BaseURL: srv.URL, ClientID: "client-1", Username: "jdoe@example.com", Password: "pa$$ w0rd!",
		RedirectURI: "https://app.example.com/oauth/callback", Scope: "email",
	}, client.WithClock(wiretest.NewClock(start)))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	tok, err := c.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Expiry.Sub(start))
	// Output: 3s
}

// The browser flow of a web application: send the user to the login page,
// read the code from the redirect's fragment, check state, exchange.
func ExampleClient_AuthCodeURL() {
	f, srv := exampleSite()
	defer srv.Close()

	// No Username/Password: this client only gets tokens from a browser login.
	c, err := ioffice.New(ioffice.Config{
		BaseURL:     srv.URL,
		ClientID:    "client-1",
		RedirectURI: "https://app.example.com/oauth/callback",
		Scope:       "email",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	// 1. Redirect the browser to the login page. Use ioffice.NewState()
	// and keep the state in the user's session; fixed here for the output.
	state := "af0ifjsldkj"
	loginURL, err := c.AuthCodeURL(state)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(loginURL, srv.URL))

	// 2. The site redirects to RedirectURI#code=…&appCode=…; the page's
	// JavaScript posts location.hash to the server.
	hash := "#code=" + f.issueCode() + "&appCode=APP-1&state=" + state

	// 3. Check state, then exchange the code at once (codes expire in 5 minutes).
	code, appCode, err := ioffice.ParseRedirect(hash, state)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Exchange(ctx, code); err != nil {
		log.Fatal(err)
	}
	me, err := c.GetCurrentUserWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(appCode, *me.JSON200.Name)
	// Output:
	// /login.html?response_type=code&client_id=client-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&scope=email&state=af0ifjsldkj
	// APP-1 Jo Doe
}
