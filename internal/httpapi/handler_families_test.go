package httpapi

import (
	"maps"
	"slices"
	"testing"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// unsavedPrograms lets a Server's route table be built without a store.
type unsavedPrograms struct{ ProgramRegistry }

// Each HTTP function's main serves its routes from its own family of
// handlers. A family holds exactly its function's routes: a missing one
// would panic at the function's start, an extra one links needless code.
func TestEachFunctionsHandlerFamilyHoldsItsRoutes(t *testing.T) {
	s := &Server{Programs: unsavedPrograms{}}
	families := map[string]func(*Server) Handlers{
		"api":      (*Server).APIHandlers,
		"webhooks": (*Server).WebhookHandlers,
		"redirect": (*Server).RedirectHandlers,
	}
	var all []string
	for _, f := range appspec.Functions {
		if len(f.Routes) == 0 {
			continue
		}
		family, ok := families[f.Dir]
		if !ok {
			t.Errorf("function %s serves routes but has no handler family", f.Dir)
			continue
		}
		var want []string
		for _, r := range f.Routes {
			want = append(want, r.Method+" "+r.Path)
		}
		slices.Sort(want)
		if got := slices.Sorted(maps.Keys(family(s))); !slices.Equal(got, want) {
			t.Errorf("%s's handlers serve\n%v\nwant its routes\n%v", f.Dir, got, want)
		}
		all = append(all, want...)
	}
	slices.Sort(all)
	if got := slices.Sorted(maps.Keys(s.AllHandlers())); !slices.Equal(got, all) {
		t.Errorf("AllHandlers serve\n%v\nwant every function's routes\n%v", got, all)
	}
}
