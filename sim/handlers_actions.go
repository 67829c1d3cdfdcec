package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxActionBody bounds a PUT action body: a base64 zip of about 48 MB.
const maxActionBody = 64 << 20

// readBody reads r's body up to limit bytes, answering 413 beyond it.
func readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, bool) {
	if r.ContentLength > int64(limit) {
		writeError(w, http.StatusRequestEntityTooLarge, msgTooLarge("Request", int(r.ContentLength), limit))
		return nil, false
	}
	n := 512
	if r.ContentLength > 0 {
		n = int(r.ContentLength) + 1
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if len(buf) > limit {
			writeError(w, http.StatusRequestEntityTooLarge, msgTooLarge("Request", len(buf), limit))
			return nil, false
		}
		if err == io.EOF {
			return buf, true
		}
		if err != nil {
			writeError(w, http.StatusBadRequest, msgMalformed(err.Error()))
			return nil, false
		}
	}
}

func (s *Server) lookup(name string) *action {
	if v, ok := s.actions.Load(name); ok {
		return v.(*action)
	}
	return nil
}

func (s *Server) putAction(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.namespace(w, r) {
		return
	}
	if !nameRE.MatchString(name) {
		writeError(w, http.StatusBadRequest, "The name of the entity contains illegal characters.")
		return
	}
	if strings.Contains(name, "/") { // the sim holds no packages
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	body, ok := readBody(w, r, maxActionBody)
	if !ok {
		return
	}
	var put actionPut
	if err := json.Unmarshal(body, &put); err != nil {
		writeError(w, http.StatusBadRequest, msgMalformed(err.Error()))
		return
	}
	s.actionMu.Lock()
	defer s.actionMu.Unlock()
	old := s.lookup(name)
	if old != nil && r.URL.Query().Get("overwrite") != "true" {
		writeError(w, http.StatusConflict, msgExists)
		return
	}
	a, err := put.merge(name, old, &s.bounds)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if put.Exec != nil || a.runtime == nil {
		var status int
		var msg string
		if a.runtime, status, msg = s.rt.resolve(a.kind); a.runtime == nil {
			writeError(w, status, msg)
			return
		}
		a.kind = a.runtime.Kind
	}
	a.annotations = withAnnotation(a.annotations, "exec", a.kind)
	if a.exec, err = s.newExecutor(a); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.actions.Store(name, a)
	s.stats.actionPuts.Add(1)
	if old != nil {
		old.exec.close()
	}
	s.opts.Logf("sim: action %s version %s stored", name, a.version)
	writeJSON(w, http.StatusOK, a.doc(s.opts.Namespace, false))
}

// newExecutor checks a's code and prepares what runs it.
func (s *Server) newExecutor(a *action) (executor, error) {
	zr, err := decodeZip(a.code)
	if err != nil {
		return nil, err
	}
	if s.opts.Mode == ModeProxy {
		return newProxyPool(s, a) // the real proxy's /init checks exec.env
	}
	if logs := checkExecEnv(zr, a.runtime); logs != nil {
		return &initFailure{s: s, a: a, logs: logs}, nil
	}
	if s.opts.Mode == ModeInproc {
		return newInproc(s, a), nil
	}
	dir, err := os.MkdirTemp(s.tmp, "action-")
	if err != nil {
		return nil, err
	}
	if err := extractZip(zr, dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return newProcessPool(s, a, filepath.Clean(dir)), nil
}

func (s *Server) getAction(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	a := s.lookup(r.PathValue("name"))
	if a == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	writeJSON(w, http.StatusOK, a.doc(s.opts.Namespace, r.URL.Query().Get("code") != "false"))
}

func (s *Server) deleteAction(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	name := r.PathValue("name")
	s.actionMu.Lock()
	a := s.lookup(name)
	if a != nil {
		s.actions.Delete(name)
	}
	s.actionMu.Unlock()
	if a == nil {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	a.exec.close()
	writeJSON(w, http.StatusOK, a.doc(s.opts.Namespace, false))
}

func (s *Server) listActions(w http.ResponseWriter, r *http.Request) {
	if !s.namespace(w, r) {
		return
	}
	p, err := parseList(r, "actions")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var all []*action
	s.actions.Range(func(_, v any) bool {
		all = append(all, v.(*action))
		return true
	})
	if p.count {
		writeJSON(w, http.StatusOK, map[string]int{"actions": len(all)})
		return
	}
	sort.Slice(all, func(i, j int) bool { // newest first; pages stay put on ties
		if all[i].updated != all[j].updated {
			return all[i].updated > all[j].updated
		}
		return all[i].name < all[j].name
	})
	lo, hi := p.page(len(all))
	docs := make([]*actionDoc, 0, hi-lo)
	for _, a := range all[lo:hi] {
		docs = append(docs, a.doc(s.opts.Namespace, false))
	}
	writeJSON(w, http.StatusOK, docs)
}
