package main

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// A localhost redirect URI: the catcher serves its page on 127.0.0.1 and
// on ::1, whichever a browser connects to.
func TestCatcherLocalhostBothLoopbacks(t *testing.T) {
	l6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	port := strconv.Itoa(l6.Addr().(*net.TCPAddr).Port)
	l6.Close()
	u, _ := url.Parse("http://localhost:" + port + "/cb")
	ct, err := listenCatcher(u)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", port, err)
	}
	defer ct.close()
	for _, ip := range []string{"127.0.0.1", "[::1]"} {
		req, _ := http.NewRequest("GET", "http://"+ip+":"+port+"/cb", nil)
		req.Host = "localhost:" + port
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
		body, _ := readAll(resp)
		if resp.StatusCode != 200 || !strings.Contains(body, "location.hash") {
			t.Errorf("%s: %d\n%s", ip, resp.StatusCode, body)
		}
	}
}
