package httpdeploy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The Azure Functions custom handler's layout: the host forwards each
// request of the one HTTP-triggered function to the worker as it came
// (enableForwardingHttpRequest), and with no route prefix the function's
// route is the worker's own InvokePath, so the endpoint is the app's URL.
const (
	// AzureFunction names the function: its folder holds function.json.
	AzureFunction = "invoke"
	// AzureRoutePrefix is the prefix of every HTTP route of the app (Azure's
	// default is "api").
	AzureRoutePrefix = ""
	// AzureAuthLevel is the function's authorization level: anonymous, as
	// the worker checks its own credential on every request.
	AzureAuthLevel = "anonymous"
)

// AzureHost is the part of host.json that the custom handler needs.
type AzureHost struct {
	Version         string             `json:"version"`
	FunctionTimeout string             `json:"functionTimeout"`
	CustomHandler   AzureCustomHandler `json:"customHandler"`
	Extensions      AzureExtensions    `json:"extensions"`
}

// AzureCustomHandler says how the host starts the worker and talks to it.
type AzureCustomHandler struct {
	Description struct {
		DefaultExecutablePath string   `json:"defaultExecutablePath"`
		WorkingDirectory      string   `json:"workingDirectory"`
		Arguments             []string `json:"arguments"`
	} `json:"description"`
	EnableForwardingHTTPRequest bool `json:"enableForwardingHttpRequest"`
}

// AzureExtensions holds the HTTP settings of the host.
type AzureExtensions struct {
	HTTP struct {
		RoutePrefix           string `json:"routePrefix"`
		MaxConcurrentRequests int    `json:"maxConcurrentRequests"`
	} `json:"http"`
}

// AzureFunctionJSON is function.json: its bindings.
type AzureFunctionJSON struct {
	Bindings []AzureBinding `json:"bindings"`
}

// AzureBinding is one binding of a function.
type AzureBinding struct {
	Type      string   `json:"type"`
	Direction string   `json:"direction"`
	Name      string   `json:"name"`
	AuthLevel string   `json:"authLevel,omitempty"`
	Methods   []string `json:"methods,omitempty"`
	Route     string   `json:"route,omitempty"`
}

// azureFiles returns host.json, the function's function.json and
// local.settings.json (the runtime, for the Core Tools' publish; no
// secret).
func azureFiles(o Options) ([]file, error) {
	var h AzureHost
	h.Version = "2.0"
	secs := int(o.Timeout.Seconds())
	h.FunctionTimeout = fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	h.CustomHandler.Description.DefaultExecutablePath = BinaryName
	h.CustomHandler.Description.Arguments = o.workerArgs()
	h.CustomHandler.EnableForwardingHTTPRequest = true
	h.Extensions.HTTP.RoutePrefix = AzureRoutePrefix
	h.Extensions.HTTP.MaxConcurrentRequests = o.Concurrency
	fn := AzureFunctionJSON{Bindings: []AzureBinding{
		{Type: "httpTrigger", Direction: "in", Name: "req", AuthLevel: AzureAuthLevel, Methods: []string{"post"},
			Route: strings.TrimPrefix(InvokePath, "/")},
		{Type: "http", Direction: "out", Name: "res"},
	}}
	settings := map[string]any{"IsEncrypted": false, "Values": map[string]string{"FUNCTIONS_WORKER_RUNTIME": "custom"}}
	var files []file
	for _, f := range []struct {
		name string
		v    any
	}{{"host.json", h}, {AzureFunction + "/function.json", fn}, {"local.settings.json", settings}} {
		data, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.name, err)
		}
		files = append(files, file{f.name, append(data, '\n')})
	}
	return files, nil
}
