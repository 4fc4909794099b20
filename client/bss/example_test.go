package bss_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/vendorkit/vendorkit/auth"
	"github.com/vendorkit/vendorkit/client/bss"
)

// exampleServer stands in for a BSS deployment under /bsssmapi: it accepts
// the docs' credentials and answers /api/accounts/1.
func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bsssmapi/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		key, secret, _ := r.BasicAuth()
		if key != docsKey || secret != docsSecret || r.PostFormValue("password") != "user123456!" {
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		fmt.Fprint(w, `{"access_token":"ydbP24rMOATt7TK3","token_type":"bearer","expires_in":1799}`)
	})
	mux.HandleFunc("GET /bsssmapi/api/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer ydbP24rMOATt7TK3" || r.Header.Get("X-Api-Version") != "latest" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%s,"name":"Acme Ltd"}`, r.PathValue("id"))
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := exampleServer() // in production: "https://my.interworkscloud.com"
	defer srv.Close()

	c, err := bss.New(bss.Config{
		BaseURL:      srv.URL + "/bsssmapi",
		ClientKey:    "23230e67-6c95-4f83-a176-d969b95ee601",
		ClientSecret: "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=",
		Username:     "testuser",
		Password:     "user123456!",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	resp, err := c.GetAccountWithResponse(context.Background(), 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode(), resp.JSON200.Id, *resp.JSON200.Name)
	// Output: 200 1 Acme Ltd
}

// A wrong password is an *auth.Error that errors.Is classifies as invalid
// credentials; its text never holds the password.
func Example_badCredentials() {
	srv := exampleServer()
	defer srv.Close()

	c, err := bss.New(bss.Config{
		BaseURL:      srv.URL + "/bsssmapi",
		ClientKey:    "23230e67-6c95-4f83-a176-d969b95ee601",
		ClientSecret: "HCHlt6XPXxOveEx4QjECVB4ChgKiLJF65U7qy/xe46k=",
		Username:     "testuser",
		Password:     "wrong!",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	_, err = c.GetAccountWithResponse(context.Background(), 1)
	fmt.Println(errors.Is(err, auth.ErrInvalidCredentials))
	fmt.Println(err)
	// Output:
	// true
	// vendorkit: bss token: HTTP 400: invalid_grant: The user name or password is incorrect.
}
