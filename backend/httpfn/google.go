package httpfn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/idtoken"
)

// audience is the service URL of an endpoint: what a Cloud Run service
// expects as the audience of the ID tokens it accepts.
func audience(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	return u.Scheme + "://" + u.Host
}

// tokenSigner sets a bearer token from each endpoint's token source.
type tokenSigner struct {
	sources []oauth2.TokenSource
	red     *redactor
}

func (s *tokenSigner) sign(req *http.Request, endpoint int) error {
	tok, err := s.sources[endpoint].Token()
	if err != nil {
		return &Error{Code: codeOfTokenError(err), Msg: "get a Google ID token", Err: err}
	}
	s.red.add(tok.AccessToken)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return nil
}

// googleSigner makes a token source per service URL, shared by the
// endpoints of one service.
func googleSigner(ctx context.Context, a Auth, endpoints []string, red *redactor) (*credentials, error) {
	if a.Secret != "" {
		return nil, errors.New("auth google takes a service account key file (token-file), not a secret")
	}
	newSource := a.TokenSource
	if newSource == nil {
		newSource = idtokenSource(a.File)
	}
	s := &tokenSigner{red: red}
	bySvc := map[string]oauth2.TokenSource{}
	for _, ep := range endpoints {
		aud := audience(ep)
		ts, ok := bySvc[aud]
		if !ok {
			src, err := newSource(ctx, aud)
			if err != nil {
				return nil, googleError(a.File, err)
			}
			// The first token now: a key Google refuses fails the job
			// before any task, in one message.
			tok, err := src.Token()
			if err != nil {
				return nil, googleError(a.File, err)
			}
			red.add(tok.AccessToken)
			ts = oauth2.ReuseTokenSource(tok, src)
			bySvc[aud] = ts
		}
		s.sources = append(s.sources, ts)
	}
	from := "the application default credentials"
	if a.File != "" {
		from = "the service account key " + a.File
	}
	return &credentials{signer: s, about: "a Google ID token from " + from, red: red}, nil
}

// idtokenSource returns idtoken's token source for an audience, from the
// service account key in file, or the application default credentials.
func idtokenSource(file string) func(ctx context.Context, aud string) (oauth2.TokenSource, error) {
	return func(ctx context.Context, aud string) (oauth2.TokenSource, error) {
		if file != "" {
			return idtoken.NewTokenSource(ctx, aud, idtoken.WithAuthCredentialsFile(idtoken.ServiceAccount, file))
		}
		return idtoken.NewTokenSource(ctx, aud)
	}
}

// googleError says, in a line, why no ID token could be had; Google's
// errors quote the token endpoint's answer over several lines.
func googleError(file string, err error) error {
	hint := "give a service account key with --token-file or GOOGLE_APPLICATION_CREDENTIALS, or run on Google Cloud; " +
		"user credentials (gcloud auth login) cannot mint ID tokens: put `gcloud auth print-identity-token` in " + EnvToken + " with --auth bearer instead"
	if file != "" {
		hint = "check the service account key " + file
	}
	return fmt.Errorf("auth google: %s: %s", hint, strings.Join(strings.Fields(err.Error()), " "))
}
