package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

func (s *Server) getActivation(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	rec := s.store.get(r.PathValue("id"))
	if rec == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	writeRaw(w, http.StatusOK, rec.marshal())
}

func (s *Server) getActivationPart(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	rec := s.store.get(r.PathValue("id"))
	if rec == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	switch r.PathValue("part") {
	case "result":
		writeJSON(w, http.StatusOK, rec.doc().Response)
	case "logs":
		writeJSON(w, http.StatusOK, map[string]*[]string{"logs": rec.doc().Logs})
	default:
		writeError(w, http.StatusNotFound, msgNotFound)
	}
}

func (s *Server) listActivations(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	q, err := parseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	v := r.URL.Query()
	count := v.Get("count") == "true"
	recs, n := s.store.list(q, count)
	if count {
		writeJSON(w, http.StatusOK, map[string]int{"activations": n})
		return
	}
	docs := v.Get("docs") == "true"
	writeRaw(w, http.StatusOK, listJSON(recs, docs))
}

// listJSON encodes a listing: the records' JSON in an array, joined as is
// (each is compact JSON already).
func listJSON(recs []*record, docs bool) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, rec := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		if docs {
			b.Write(rec.marshal())
		} else {
			sum, _ := json.Marshal(rec.summary())
			b.Write(sum)
		}
	}
	b.WriteByte(']')
	return b.Bytes()
}

// parseQuery reads a listing's name, limit, skip, since and upto.
func parseQuery(r *http.Request) (query, error) {
	v := r.URL.Query()
	q := query{name: v.Get("name"), limit: defaultListLimit}
	for _, p := range []struct {
		key string
		dst *int64
	}{{"since", &q.since}, {"upto", &q.upto}} {
		if s := v.Get(p.key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				//lint:ignore ST1005 OpenWhisk's own message, verbatim
				return q, fmt.Errorf("The parameter '%s' must be a non-negative integer, got %q.", p.key, s)
			}
			*p.dst = n
		}
	}
	p, err := parseList(r, "activations")
	q.skip, q.limit = p.skip, p.limit
	return q, err
}
