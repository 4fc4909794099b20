package specs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vendorkit/vendorkit/specs"
)

// The public generated clients carry the resource operations and none of
// the operations tagged "token": calling a token endpoint with a bearer
// token (and getting a 401 and four token requests) is impossible. Read
// from the generated source, so every vendor with a spec is covered.
func TestPublicClientsHaveNoTokenOperations(t *testing.T) {
	for _, vendor := range specs.Vendors() {
		file := filepath.Join("..", "gen", vendor+"api", vendor+"api.gen.go")
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Errorf("%s: %v", vendor, err)
			continue
		}
		methods := map[string]bool{}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			if star, ok := fd.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "ClientWithResponses" {
					methods[fd.Name.Name] = true
				}
			}
		}
		doc, err := specs.Load(vendor)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				name := strings.ToUpper(op.OperationID[:1]) + op.OperationID[1:] + "WithResponse"
				token := len(op.Tags) > 0 && op.Tags[0] == "token"
				if token && methods[name] {
					t.Errorf("%s: the public client has the token operation %s", vendor, name)
				}
				if !token && !methods[name] {
					t.Errorf("%s: the public client lacks the resource operation %s", vendor, name)
				}
			}
		}
	}
}
