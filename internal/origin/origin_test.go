package origin

import (
	"net/url"
	"testing"
)

func TestSame(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://h", "https://h:443/x", true}, // the case two checks used to disagree on
		{"https://H.example/p", "https://h.example:443", true},
		{"http://h", "http://h:80/x?y", true},
		{"http://127.0.0.1:8080/bsssmapi", "http://127.0.0.1:8080/other", true},
		{"https://h", "http://h", false},
		{"https://h", "https://h:8443", false},
		{"https://h", "https://a.h", false},
		{"https://h", "https://h.evil", false},
		{"http://[::1]:80", "http://[::1]/", true},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := Same(a, b); got != tc.same {
			t.Errorf("Same(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	if Same(nil, &url.URL{}) {
		t.Error("nil URL")
	}
	u, _ := url.Parse("https://H.example:443/x?code=1")
	if s := Of(u).String(); s != "https://h.example" {
		t.Errorf("String = %s", s)
	}
	u, _ = url.Parse("http://[::1]:8080/x")
	if s := Of(u).String(); s != "http://[::1]:8080" {
		t.Errorf("String = %s", s)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"::ffff:127.0.0.1": true, "fe80::1%lo": false, "10.0.0.1": false, "example.com": false,
		"localhost.evil.example": false, "": false, "0.0.0.0": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}
