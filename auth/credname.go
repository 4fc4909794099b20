package auth

import "strings"

// credentialStems are parts of a name that make it a credential's
// whatever surrounds them, for names in camelCase or with other words
// around: accessToken, clientSecret, x-auth-password, sessionId.
var credentialStems = []string{
	"token", "secret", "password", "passwd", "passphrase", "credential", "session",
	"assertion", "apikey", "authorization", "authcode", "signature", "cookie", "privatekey",
}

// credentialNames are the names of credentialParams and credentialKeys,
// normalized once (normalizeName), not on every IsCredentialName call.
var credentialNames = func() map[string]bool {
	m := make(map[string]bool)
	for k := range credentialParams {
		m[normalizeName(k)] = true
	}
	for k := range strings.SplitSeq(credentialKeys, "|") {
		m[normalizeName(k)] = true
	}
	return m
}()

// IsCredentialName reports whether a field, parameter or header of this
// name carries a credential, so its value must never be printed: the
// names Scrub and RedactURL treat as secret (access_token, code, key,
// password, ...), compared without case, '-' or '_', and any name
// containing token, secret, password, session, signature, cookie and the
// like. It errs on the side of secrecy: "tokenType" counts.
func IsCredentialName(name string) bool {
	n := normalizeName(name)
	if n == "" {
		return false
	}
	if credentialNames[n] {
		return true
	}
	for _, s := range credentialStems {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// normalizeName lowercases and drops the separators names use between
// words: X-Auth-Password and x_auth_password are both xauthpassword.
func normalizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ':
			return -1
		}
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}
