// Package auth is vendorkit's vendor-neutral token machinery: a token model,
// a small Flow interface vendors implement, a caching Source, request
// editors that place the token, and a go-retryablehttp based HTTP stack.
//
// It never imports vendor packages.
package auth
