package blueprint_test

import (
	"context"
	"fmt"
	"log"

	"github.com/vendorkit/vendorkit/client/blueprint"
	"github.com/vendorkit/vendorkit/sandbox"
)

func Example() {
	ctx := context.Background()
	// A local stand-in for the API; in production BaseURL is e.g.
	// "https://ofd-api.blueprintcpq.net".
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := blueprint.New(blueprint.Config{
		BaseURL:  sb.Vendor("blueprint").BaseURL,
		Username: "username",
		Password: "Qu0te&Config-2014", // the sandbox's default account
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	pages, err := c.ListPagesWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range *pages.JSON200 {
		fmt.Println(p.Id, *p.Name)
	}
	// Output:
	// home Home
	// quotes Quotes
	// catalog Product catalog
}

// The user the login response describes, with its RFC 1123 dates parsed.
func ExampleClient_User() {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()

	c, err := blueprint.New(blueprint.Config{BaseURL: sb.Vendor("blueprint").BaseURL, Username: "username", Password: "Qu0te&Config-2014"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	u, err := c.User(ctx) // logs in if needed
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, u.UserName, u.FirstName, u.LastName)
	fmt.Println("valid for", u.Expires.Sub(u.Issued))
	// Output:
	// c8dcd36f-8f07-5e20-a8cd-8b72051bc374 username First Last
	// valid for 335h59m59s
}
