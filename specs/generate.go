package specs

// Each vendor's spec generates one package under gen/: models, a typed
// ClientWithResponses, and a net/http strict server interface that the
// sandbox implements. `make generate` runs these; `make check-generated`
// proves gen/ matches them.
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config codegen/bssapi.yaml bss.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config codegen/blueprintapi.yaml blueprint.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config codegen/decisivapi.yaml decisiv.yaml
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen -config codegen/iofficeapi.yaml ioffice.yaml
