package kit

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/vendorkit/vendorkit/client"
	"github.com/vendorkit/vendorkit/internal/origin"
)

// Check collects configuration problems for one vendor; its errors name
// Config fields, never their values.
//
//	var chk kit.Check
//	chk.Require("ClientKey", cfg.ClientKey)
//	base := chk.BaseURL("BaseURL", cfg.BaseURL, opts.InsecureHTTP)
//	if err := chk.Err("bss"); err != nil { ... }
type Check struct {
	problems []string
}

// Require records field as missing when value is empty.
func (c *Check) Require(field, value string) {
	if value == "" {
		c.problems = append(c.problems, "Config."+field+" is required")
	}
}

// Fail records a problem (a sentence naming the field, never a value).
func (c *Check) Fail(problem string) { c.problems = append(c.problems, problem) }

// BaseURL validates and normalizes a base URL: http or https, a host, no
// query, fragment or credentials; trailing slashes removed (a path prefix
// such as "/bsssmapi" is kept). Plain http is refused for non-loopback
// hosts unless insecureOK. It returns "" after recording a problem.
func (c *Check) BaseURL(field, raw string, insecureOK bool) string {
	if raw == "" {
		c.Require(field, raw)
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil:
		c.Fail("Config." + field + " is not a valid URL")
		return ""
	case u.Scheme != "http" && u.Scheme != "https":
		c.Fail("Config." + field + " must be an http:// or https:// URL")
		return ""
	case u.Host == "":
		c.Fail("Config." + field + " has no host")
		return ""
	case u.User != nil:
		c.Fail("Config." + field + " must not contain credentials")
		return ""
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		c.Fail("Config." + field + " must not contain a query or fragment")
		return ""
	case u.Scheme == "http" && !insecureOK && !origin.IsLoopback(u.Hostname()):
		c.Fail("Config." + field + " uses plain http to a non-loopback host (use https, or client.WithInsecureHTTP to allow it)")
		return ""
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u.String()
}

// Err returns nil or an error wrapping client.ErrInvalidConfig that lists every
// problem, prefixed with the vendor name.
func (c *Check) Err(vendor string) error {
	if len(c.problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s: %s", client.ErrInvalidConfig, vendor, strings.Join(c.problems, "; "))
}

// Env reads a vendor's VENDORKIT_<VENDOR>_<FIELD> environment variables and
// collects the missing required ones.
//
//	env := kit.NewEnv("bss", lookup)
//	cfg := Config{BaseURL: env.Require("BASE_URL"), APIVersion: env.Get("API_VERSION")}
//	return cfg, env.Err()
type Env struct {
	prefix  string
	missing []string
	lookup  func(string) (string, bool)
}

// NewEnv returns an Env for vendor ("bss" reads VENDORKIT_BSS_…) that
// reads variables through lookup (os.LookupEnv, or a map in tests and
// demos); nil means os.LookupEnv.
func NewEnv(vendor string, lookup func(string) (string, bool)) *Env {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	return &Env{prefix: "VENDORKIT_" + strings.ToUpper(vendor) + "_", lookup: lookup}
}

// Name returns the variable name for field ("BASE_URL" →
// "VENDORKIT_BSS_BASE_URL").
func (e *Env) Name(field string) string { return e.prefix + field }

// Get returns the variable's value ("" when unset).
func (e *Env) Get(field string) string {
	v, _ := e.lookup(e.Name(field))
	return v
}

// Require returns the variable's value and records it as missing when it
// is unset or empty.
func (e *Env) Require(field string) string {
	v := e.Get(field)
	if v == "" {
		e.missing = append(e.missing, e.Name(field))
	}
	return v
}

// Missing records field as missing (for variables required only together
// with others).
func (e *Env) Missing(field string) { e.missing = append(e.missing, e.Name(field)) }

// Err returns nil or an error wrapping client.ErrMissingEnv that names every
// missing variable.
func (e *Env) Err() error {
	if len(e.missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", client.ErrMissingEnv, strings.Join(e.missing, ", "))
}
