package lambda

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// standIn is an in-process stand-in for the Lambda API: the control-plane
// operations Deploy uses and Invoke, with the documented REST paths, JSON
// bodies and error headers.
type standIn struct {
	mu    sync.Mutex
	fns   map[string]*fnConfig
	calls []string // "METHOD /path" of each request
	// pending makes the next configuration reads say Pending/InProgress.
	pending int
	// invoke answers invocations; nil means 404.
	invoke http.HandlerFunc
	// refuse answers every control-plane call with 403 AccessDeniedException.
	refuse bool
	zips   [][]byte
}

type fnConfig struct {
	FunctionName     string
	Runtime          string `json:",omitempty"`
	Role             string `json:",omitempty"`
	Handler          string `json:",omitempty"`
	CodeSha256       string
	CodeSize         int64
	Architectures    []string
	MemorySize       int32
	Timeout          int32
	State            string
	LastUpdateStatus string
}

func newStandIn(t *testing.T) (*standIn, string) {
	s := &standIn{fns: map[string]*fnConfig{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

const fnPrefix = "/2015-03-31/functions"

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	rest, ok := strings.CutPrefix(r.URL.Path, fnPrefix)
	if !ok {
		apiError(w, 404, "UnknownOperationException", "unknown operation")
		return
	}
	name, sub, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	if sub == "invocations" && r.Method == http.MethodPost {
		invoke := s.invoke
		if invoke == nil {
			apiError(w, 404, "ResourceNotFoundException", "Function not found: "+name)
			return
		}
		s.mu.Unlock() // invocations may block and overlap
		invoke(w, r)
		s.mu.Lock()
		return
	}
	if s.refuse {
		apiError(w, 403, "AccessDeniedException", "User is not authorized to perform: lambda:GetFunction")
		return
	}
	switch {
	case r.Method == http.MethodPost && name == "":
		s.create(w, r)
	case name == "":
		apiError(w, 400, "InvalidRequestContentException", "bad request")
	case s.fns[name] == nil:
		apiError(w, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:"+name)
	case r.Method == http.MethodGet && sub == "":
		writeJSON(w, 200, map[string]any{"Configuration": s.read(name), "Code": map[string]string{"RepositoryType": "S3"}})
	case r.Method == http.MethodGet && sub == "configuration":
		writeJSON(w, 200, s.read(name))
	case r.Method == http.MethodPut && sub == "code":
		s.updateCode(w, r, name)
	case r.Method == http.MethodPut && sub == "configuration":
		var in struct{ MemorySize, Timeout int32 }
		json.NewDecoder(r.Body).Decode(&in)
		f := s.fns[name]
		if in.MemorySize != 0 {
			f.MemorySize = in.MemorySize
		}
		if in.Timeout != 0 {
			f.Timeout = in.Timeout
		}
		writeJSON(w, 200, f)
	case r.Method == http.MethodDelete && sub == "":
		delete(s.fns, name)
		w.WriteHeader(204)
	default:
		apiError(w, 400, "InvalidRequestContentException", "unexpected "+r.Method+" "+r.URL.Path)
	}
}

// read returns a function's configuration, Pending while s.pending lasts.
func (s *standIn) read(name string) fnConfig {
	f := *s.fns[name]
	if s.pending > 0 {
		s.pending--
		f.State, f.LastUpdateStatus = "Pending", "InProgress"
	}
	return f
}

func (s *standIn) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FunctionName, Runtime, Role, Handler string
		Code                                 struct{ ZipFile []byte }
		Architectures                        []string
		MemorySize, Timeout                  int32
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.FunctionName == "" || in.Role == "" || len(in.Code.ZipFile) == 0 {
		apiError(w, 400, "InvalidParameterValueException", "missing FunctionName, Role or Code")
		return
	}
	if s.fns[in.FunctionName] != nil {
		apiError(w, 409, "ResourceConflictException", "Function already exist: "+in.FunctionName)
		return
	}
	f := &fnConfig{FunctionName: in.FunctionName, Runtime: in.Runtime, Role: in.Role, Handler: in.Handler,
		Architectures: in.Architectures, MemorySize: in.MemorySize, Timeout: in.Timeout, State: "Active", LastUpdateStatus: "Successful"}
	s.setCode(f, in.Code.ZipFile)
	s.fns[in.FunctionName] = f
	writeJSON(w, 201, f)
}

func (s *standIn) updateCode(w http.ResponseWriter, r *http.Request, name string) {
	var in struct {
		ZipFile       []byte
		Architectures []string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.ZipFile) == 0 {
		apiError(w, 400, "InvalidParameterValueException", "missing ZipFile")
		return
	}
	f := s.fns[name]
	s.setCode(f, in.ZipFile)
	if len(in.Architectures) > 0 {
		f.Architectures = in.Architectures
	}
	writeJSON(w, 200, f)
}

func (s *standIn) setCode(f *fnConfig, zip []byte) {
	sum := sha256.Sum256(zip)
	f.CodeSha256, f.CodeSize = base64.StdEncoding.EncodeToString(sum[:]), int64(len(zip))
	s.zips = append(s.zips, zip)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// apiError answers as Lambda does: the error type in X-Amzn-ErrorType and
// a JSON body with Type and Message.
func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-ErrorType", typ)
	writeJSON(w, status, map[string]string{"Type": "User", "Message": msg})
}

// zipEntry returns the single entry of an uploaded archive.
func zipEntry(t *testing.T, b []byte) (*zip.File, []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(zr.File) != 1 {
		t.Fatalf("uploaded archive: %v, %d entries; want one", err, len(zr.File))
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return zr.File[0], data
}
