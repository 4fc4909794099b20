package auth

import "testing"

func TestIsCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"access_token": true, "accessToken": true, "refresh_token": true, "RefreshToken": true,
		"id_token": true, "token": true, "tokenType": true, "client_secret": true, "clientSecret": true,
		"password": true, "X-Auth-Password": true, "passwd": true, "x-access-token": true,
		"api_key": true, "apiKey": true, "X-Api-Key": true, "key": true, "code": true, "authCode": true,
		"x-auth-code": true, "sig": true, "signature": true, "session": true, "sessionId": true,
		"Set-Cookie": true, "Authorization": true, "assertion": true, "client_assertion": true,
		"": false, "id": false, "name": false, "email": false, "systemCode": false, "countryCode": false,
		"keyboard": false, "expires_in": false, "userName": false, "X-Request-Id": false, "plan": false,
	} {
		if got := IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}
