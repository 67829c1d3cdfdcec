package openwhisk

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Runtime is one kind a deployment offers, as its controller lists it.
type Runtime struct {
	// Kind is the kind's name, such as "go:1.22".
	Kind string
	// Image is the resolved image name, such as
	// "openwhisk/action-golang-v1.22:nightly".
	Image string
	// Default marks the family's default kind.
	Default bool
	// Deprecated kinds take no new actions.
	Deprecated bool
}

// Runtimes maps a runtime family ("go", "nodejs", "blackbox", ...) to the
// kinds the deployment offers in it.
type Runtimes map[string][]Runtime

// Kinds returns every kind's name, sorted.
func (rs Runtimes) Kinds() []string {
	var ks []string
	for _, fam := range rs {
		for _, r := range fam {
			ks = append(ks, r.Kind)
		}
	}
	sort.Strings(ks)
	return ks
}

// find returns the runtime of the named kind, if the deployment has it.
func (rs Runtimes) find(kind string) (Runtime, bool) {
	for _, fam := range rs {
		for _, r := range fam {
			if r.Kind == kind {
				return r, true
			}
		}
	}
	return Runtime{}, false
}

// runtimeDoc is a runtime as the controller writes it. Image is a string
// in a controller's answer; the manifest's {prefix, name, tag} object is
// read too.
type runtimeDoc struct {
	Kind       string          `json:"kind"`
	Image      json.RawMessage `json:"image"`
	Default    bool            `json:"default"`
	Deprecated bool            `json:"deprecated"`
}

type imageDoc struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
	Tag    string `json:"tag"`
}

func (d *runtimeDoc) runtime() Runtime {
	r := Runtime{Kind: d.Kind, Default: d.Default, Deprecated: d.Deprecated}
	var img imageDoc
	if json.Unmarshal(d.Image, &r.Image) != nil && json.Unmarshal(d.Image, &img) == nil && img.Name != "" {
		r.Image = img.Name
		if img.Prefix != "" {
			r.Image = img.Prefix + "/" + r.Image
		}
		if img.Tag != "" {
			r.Image += ":" + img.Tag
		}
	}
	return r
}

// maxInfoBody bounds the controller's info document.
const maxInfoBody = 1 << 20

// infoTimeout bounds the wait for the info document.
const infoTimeout = 30 * time.Second

// Runtimes returns the kinds the deployment offers: the "runtimes" of
// GET / on the API host, which a controller answers with its runtime
// manifest. It fails when the answer has no runtimes.
func (c *Client) Runtimes(ctx context.Context) (Runtimes, error) {
	ctx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	u := *c.base
	if i := strings.LastIndex(u.Path, "/api/"); i >= 0 {
		u.Path = u.Path[:i]
	}
	u.Path += "/"
	r, err := c.send(ctx, "GET", &u, nil, maxInfoBody)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Path, err)
	}
	if r.status != 200 {
		return nil, c.apiError("GET "+u.Path, r)
	}
	var info struct {
		Runtimes map[string][]runtimeDoc `json:"runtimes"`
	}
	if err := json.Unmarshal(r.body, &info); err != nil {
		return nil, fmt.Errorf("GET %s: not a JSON document: %v", u.Path, err)
	}
	if len(info.Runtimes) == 0 {
		return nil, fmt.Errorf("GET %s: no runtimes in the answer", u.Path)
	}
	rs := Runtimes{}
	for fam, docs := range info.Runtimes {
		for i := range docs {
			rs[fam] = append(rs[fam], docs[i].runtime())
		}
	}
	return rs, nil
}
