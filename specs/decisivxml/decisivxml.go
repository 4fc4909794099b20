// Package decisivxml holds the Go type for Decisiv's XML token response.
//
// oapi-codegen emits no xml struct tags (oapi-codegen issue #486): a generated
// struct would decode Decisiv's answer into empty fields without any error.
// specs/decisiv.yaml therefore points its AuthorizationResponse schema here
// with x-go-type. The XMLName tag makes encoding/xml check the root element
// and its namespace, so a document of another kind is an error, not an empty
// token.
package decisivxml

import "encoding/xml"

// Namespace is the XML namespace of Decisiv's AuthorizationResponse.
const Namespace = "http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse"

// AuthorizationResponse is the body of a successful token request:
//
//	<AuthorizationResponse xmlns="http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse" ...>
//	    <token>NmIzMDI1NGUtYTVhMC0xMWU1LWJjODAtNDA2YzhmNGQ1ZmUwCg==</token>
//	    <type>Bearer</type>
//	</AuthorizationResponse>
type AuthorizationResponse struct {
	XMLName xml.Name `xml:"http://www.decisiv.net/platform_api/0.0.7/Case/AuthorizationResponse AuthorizationResponse"`
	Token   string   `xml:"token"`
	Type    string   `xml:"type"`
}
