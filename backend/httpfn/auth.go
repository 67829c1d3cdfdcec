package httpfn

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"

	"golang.org/x/oauth2"
)

// The environment variables credentials are read from.
const (
	EnvToken    = "OVERCAST_TOKEN"
	EnvAzureKey = "OVERCAST_AZURE_KEY"
	EnvBasic    = "OVERCAST_BASIC_AUTH"
)

// Mode is a way of authenticating requests.
type Mode string

// The modes. The zero Mode is bearer when a token is given (Secret, File
// or OVERCAST_TOKEN), none otherwise.
const (
	ModeNone   Mode = "none"
	ModeBearer Mode = "bearer"
	ModeGoogle Mode = "google"
	ModeAzure  Mode = "azure"
	ModeBasic  Mode = "basic"
)

var modes = []Mode{ModeNone, ModeBearer, ModeGoogle, ModeAzure, ModeBasic}

func parseMode(v string) (Mode, error) {
	for _, m := range modes {
		if string(m) == v {
			return m, nil
		}
	}
	return "", fmt.Errorf("auth must be none, bearer, google, azure or basic, got %q", v)
}

// Auth says how the driver authenticates its requests.
type Auth struct {
	Mode Mode
	// File names a file holding the credential: the token (bearer), the
	// function key (azure), user:pass (basic), or a service account key
	// (google). Surrounding white space is ignored.
	File string
	// Secret is the credential itself, for programs; it overrides File
	// and the environment. Not for google.
	Secret string
	// TokenSource, when set, supplies the Google ID tokens for an audience
	// instead of google.golang.org/api/idtoken.
	TokenSource func(ctx context.Context, audience string) (oauth2.TokenSource, error)
	// WorkerToken is the token of the workers themselves (overcast worker
	// serve) in the modes whose credential is the platform's (google,
	// azure, basic): it goes in X-Overcast-Token, as the Authorization
	// header may be taken. Empty means OVERCAST_TOKEN, if set.
	WorkerToken string
}

// WorkerTokenHeader carries the workers' own token beside a platform's
// credential.
const WorkerTokenHeader = "X-Overcast-Token"

// signer adds credentials to a request to one of the driver's endpoints.
type signer interface {
	sign(req *http.Request, endpoint int) error
}

type noSigner struct{}

func (noSigner) sign(*http.Request, int) error { return nil }

// headerSigner sets one header to a fixed value.
type headerSigner struct{ name, value string }

func (s headerSigner) sign(req *http.Request, _ int) error {
	req.Header.Set(s.name, s.value)
	return nil
}

// credentials are what newSigner made of an Auth: the signer, a phrase
// naming the mode and where its credential came from (for messages), and
// the redactor that knows the secrets.
type credentials struct {
	signer signer
	about  string
	red    *redactor
}

// newSigner resolves a's credential for requests to endpoints.
func newSigner(ctx context.Context, a Auth, endpoints []string) (*credentials, error) {
	mode := a.Mode
	if mode == "" {
		mode = ModeNone
		if a.Secret != "" || a.File != "" || os.Getenv(EnvToken) != "" {
			mode = ModeBearer
		}
	}
	red := &redactor{}
	switch mode {
	case ModeNone:
		return &credentials{signer: noSigner{}, about: "no credentials (set OVERCAST_TOKEN, or choose --http-auth)", red: red}, nil
	case ModeBearer:
		return platformSigner(ctx, a, mode, endpoints, red)
	}
	c, err := platformSigner(ctx, a, mode, endpoints, red)
	if err != nil {
		return nil, err
	}
	return withWorkerToken(c, a)
}

// withWorkerToken adds the workers' own token to the platform's
// credential c, when there is one.
func withWorkerToken(c *credentials, a Auth) (*credentials, error) {
	token, from := a.WorkerToken, "the options"
	if token == "" {
		token, from = strings.TrimSpace(os.Getenv(EnvToken)), EnvToken
	}
	if token == "" {
		return c, nil
	}
	c.red.add(token)
	c.signer = signers{c.signer, headerSigner{WorkerTokenHeader, token}}
	c.about += " and the workers' token from " + from
	return c, nil
}

// signers apply one signer after another.
type signers []signer

func (ss signers) sign(req *http.Request, endpoint int) error {
	for _, s := range ss {
		if err := s.sign(req, endpoint); err != nil {
			return err
		}
	}
	return nil
}

// platformSigner resolves the credential of a mode other than none.
func platformSigner(ctx context.Context, a Auth, mode Mode, endpoints []string, red *redactor) (*credentials, error) {
	if mode == ModeGoogle {
		return googleSigner(ctx, a, endpoints, red)
	}
	env := map[Mode]string{ModeBearer: EnvToken, ModeAzure: EnvAzureKey, ModeBasic: EnvBasic}[mode]
	secret, from, err := readSecret(a, env)
	if err != nil {
		return nil, fmt.Errorf("auth %s: %w", mode, err)
	}
	red.add(secret)
	c := &credentials{red: red}
	switch mode {
	case ModeBearer:
		c.signer, c.about = headerSigner{"Authorization", "Bearer " + secret}, "a bearer token from "+from
	case ModeAzure:
		c.signer, c.about = headerSigner{"x-functions-key", secret}, "an Azure function key from "+from
	case ModeBasic:
		user, pass, ok := strings.Cut(secret, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("auth basic: the credential from %s must be user:pass", from)
		}
		red.add(pass)
		enc := base64.StdEncoding.EncodeToString([]byte(secret))
		red.add(enc)
		c.signer, c.about = headerSigner{"Authorization", "Basic " + enc}, "basic auth as "+user+" from "+from
	default:
		return nil, fmt.Errorf("auth mode %q unknown", mode)
	}
	return c, nil
}

// readSecret returns the credential and where it came from: Secret, else
// File, else the environment variable env.
func readSecret(a Auth, env string) (secret, from string, err error) {
	switch {
	case a.Secret != "":
		return a.Secret, "the options", nil
	case a.File != "":
		b, err := os.ReadFile(a.File)
		if err != nil {
			return "", "", fmt.Errorf("token file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		if s == "" {
			return "", "", fmt.Errorf("token file %s is empty", a.File)
		}
		return s, a.File, nil
	case os.Getenv(env) != "":
		return strings.TrimSpace(os.Getenv(env)), env, nil
	}
	return "", "", fmt.Errorf("no credential: set %s or --token-file", env)
}
