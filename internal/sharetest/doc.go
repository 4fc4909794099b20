// Package sharetest holds the cross-process tests of the shared token
// stores (auth/filestore, auth/redisstore): real OS processes (this test
// binary re-executed) calling the sandbox's iOFFICE through one store,
// with the sandbox counting logins, refreshes and invalid_grant answers.
// It has no non-test code.
package sharetest
