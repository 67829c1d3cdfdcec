package sim

import (
	"net/http"
	"runtime/debug"
)

// public reports whether path is answered without auth, as a controller
// answers its API information.
func public(path string) bool {
	return path == "/" || path == "/api/v1" || path == "/api/v1/" || path == "/invokers"
}

// hostInfo answers GET / on the API host: what the platform offers, as a
// controller describes itself (description, api_paths, limits, runtimes).
func (s *Server) hostInfo(w http.ResponseWriter, r *http.Request) {
	perMinute := s.opts.PerMinute
	if perMinute == 0 {
		perMinute = unlimited
	}
	ms := func(l limitBound) [2]int { return [2]int{l.min, l.max} }
	mb := func(l limitBound) [2]int { return [2]int{l.min << 20, l.max << 20} }
	d, m, lg := ms(s.bounds.bound(timeoutBound.name)), mb(s.bounds.bound(memoryBound.name)), mb(logsBound)
	writeJSON(w, http.StatusOK, map[string]any{
		"description": "OpenWhisk-compatible local platform (overcast sim)",
		"api_paths":   []string{"/api/v1"},
		"limits": map[string]int{
			"actions_per_minute":          perMinute,
			"triggers_per_minute":         perMinute,
			"concurrent_actions":          s.opts.Concurrency,
			"sequence_length":             50,
			"default_min_action_duration": d[0], "default_max_action_duration": d[1],
			"default_min_action_memory": m[0], "default_max_action_memory": m[1],
			"default_min_action_logs": lg[0], "default_max_action_logs": lg[1],
			"min_action_duration": d[0], "max_action_duration": d[1],
			"min_action_memory": m[0], "max_action_memory": m[1],
			"min_action_logs": lg[0], "max_action_logs": lg[1],
		},
		"runtimes": s.rt.docs(),
	})
}

// apiInfo answers GET /api/v1 as a controller does.
func (s *Server) apiInfo(w http.ResponseWriter, r *http.Request) {
	build, buildno := buildInfo()
	writeJSON(w, http.StatusOK, map[string]any{
		"description":      "OpenWhisk API",
		"api_version":      "1.0.0",
		"api_version_path": "v1",
		"build":            build,
		"buildno":          buildno,
		"swagger_paths":    map[string]string{"ui": "/docs", "api-docs": "/api-docs"},
	})
}

// buildInfo returns the time and revision of the commit this binary was
// built from, "unknown" when the build did not record them.
func buildInfo() (build, buildno string) {
	build, buildno = "unknown", "unknown"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, kv := range bi.Settings {
		switch {
		case kv.Key == "vcs.time" && kv.Value != "":
			build = kv.Value
		case kv.Key == "vcs.revision" && kv.Value != "":
			buildno = kv.Value[:min(len(kv.Value), 12)]
		}
	}
	return
}
