package ioffice_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/client/ioffice"
	"github.com/vendorkit/vendorkit/sandbox"
)

// Headless: the client logs in with a user's credentials, exchanges the
// code at once, and refreshes as needed.
func Example() {
	ctx := context.Background()
	// A local stand-in for an iOFFICE site; in production BaseURL is the
	// site, e.g. "https://example.iofficeconnect.com".
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := ioffice.New(ioffice.Config{
		BaseURL:     sb.Vendor("ioffice").BaseURL,
		ClientID:    "7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1",
		Username:    "apiuser",
		Password:    "Spaces&Places-2019",
		RedirectURI: "https://app.example.com/oauth/callback",
		Scope:       "email",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

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
	// 1 API User
	// revoked
}

// fixedClock is a clock that stands still (any auth.Clock will do).
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// expires_in is in milliseconds: a site that says 3000 means three seconds.
func Example_expiry() {
	ctx := context.Background()
	clock := fixedClock{time.Date(2019, 4, 29, 16, 25, 19, 0, time.UTC)}
	sb, err := sandbox.Start(ctx, sandbox.Options{Clock: clock})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	site := sb.Vendor("ioffice")
	site.SetTokenLifetime(3 * time.Second) // "expires_in": 3000

	c, err := ioffice.New(ioffice.Config{
		BaseURL: site.BaseURL, ClientID: "7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1",
		Username: "apiuser", Password: "Spaces&Places-2019",
		RedirectURI: "https://app.example.com/oauth/callback", Scope: "email",
	}, client.WithClock(clock))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	tok, err := c.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Expiry.Sub(clock.Now()))
	// Output: 3s
}

// The browser flow of a web application: send the user to the login page,
// read the code from the redirect's fragment, check state, exchange.
func ExampleClient_AuthCodeURL() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	site := sb.Vendor("ioffice")

	// No Username/Password: this client gets its tokens from a browser login.
	c, err := ioffice.New(ioffice.Config{
		BaseURL:     site.BaseURL,
		ClientID:    "7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1",
		RedirectURI: "https://app.example.com/oauth/callback",
		Scope:       "email",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// 1. Redirect the browser to the login page. Use ioffice.NewState()
	// and keep the state in the user's session; fixed here for the output.
	state := "af0ifjsldkj"
	loginURL, err := c.AuthCodeURL(state)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(loginURL, site.BaseURL))

	// 2. The user signs in; the site redirects to
	// RedirectURI#code=…&appCode=…&state=…, and the page's JavaScript posts
	// location.hash to the server. (The sandbox plays the user here.)
	redirect, err := site.AuthorizeBrowser(loginURL, "apiuser", "Spaces&Places-2019")
	if err != nil {
		log.Fatal(err)
	}

	// 3. Check state, then exchange the code at once (codes expire in 5 minutes).
	code, appCode, err := ioffice.ParseRedirect(redirect, state)
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
	// /login.html?response_type=code&client_id=7d9e2f4a-1c3b-4e5d-8f60-a2b4c6d8e0f1&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&scope=email&state=af0ifjsldkj
	// ioffice-sandbox API User
}
