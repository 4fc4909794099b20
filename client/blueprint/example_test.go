package blueprint_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/vendorkit/vendorkit/client/blueprint"
)

// exampleServer stands in for ofd-api.blueprintcpq.net, answering with the
// docs' login response.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /account/login", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("grant_type") != "password" || r.PostFormValue("password") != "password" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprintf(w, docsLogin, 1)
	})
	mux.HandleFunc("GET /pages", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer imSXTs2OqSrGWzsFQhIXziFCO3rF-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[{"id":"home","name":"Home"},{"id":"quotes","name":"Quotes"}]`)
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := exampleServer() // in production: "https://ofd-api.blueprintcpq.net"
	defer srv.Close()

	c, err := blueprint.New(blueprint.Config{BaseURL: srv.URL, Username: "username", Password: "password"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	pages, err := c.ListPagesWithResponse(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range *pages.JSON200 {
		fmt.Println(p.Id, *p.Name)
	}

	u, err := c.User(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.ID, u.UserName, u.FirstName, u.LastName)
	fmt.Println("issued", u.Issued.Format(time.DateTime), "expires", u.Expires.Format(time.DateTime))
	// Output:
	// home Home
	// quotes Quotes
	// c8dcd36f-8f07-5e20-a8cd-8b72051bc374 username First Last
	// issued 2014-10-01 01:22:33 expires 2014-10-15 01:22:33
}
