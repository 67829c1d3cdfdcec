package sim

import (
	"fmt"
	"net/http"
)

// unimplemented are the entity collections a controller serves and the
// sim does not: they hold nothing, and creating in them is refused.
var unimplemented = []string{"packages", "triggers", "rules"}

// listNone answers a listing of a collection the sim keeps empty, checking
// its parameters as a controller does, so that clients listing everything
// (wsk list) work.
func (s *Server) listNone(collection string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.namespace(w, r) {
			return
		}
		p, err := parseList(r, collection)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if p.count {
			writeJSON(w, http.StatusOK, map[string]int{collection: 0})
			return
		}
		writeJSON(w, http.StatusOK, []struct{}{})
	}
}

// refuse answers a create or update in a collection the sim does not
// implement: 501, saying so.
func (s *Server) refuse(collection string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.namespace(w, r) {
			return
		}
		writeError(w, http.StatusNotImplemented, msgUnimplemented(collection))
	}
}

// noneSuch answers any other request on an entity of such a collection:
// none exists.
func (s *Server) noneSuch(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	writeError(w, http.StatusNotFound, msgNotFound)
}

func msgUnimplemented(what string) string {
	return fmt.Sprintf("overcast sim does not implement %s: it serves actions and activations only.", what)
}
