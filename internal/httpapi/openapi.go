package httpapi

import (
	_ "embed"
	"net/http"
	"sync"

	"sigs.k8s.io/yaml"
)

// openAPIYAML is the API's description, written as YAML for people and
// served as JSON for tools. Tests validate every request and response of
// the integration suite against it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIJSON is the description as JSON, converted once.
var OpenAPIJSON = sync.OnceValue(func() []byte {
	b, err := yaml.YAMLToJSON(openAPIYAML)
	if err != nil {
		panic("httpapi: openapi.yaml is not valid YAML: " + err.Error()) // a test loads it on every build
	}
	return b
})

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(OpenAPIJSON())
}
