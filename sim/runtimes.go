package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Kind is a runtime kind the sim offers, as a controller's runtime
// manifest lists it.
type Kind struct {
	// Kind is the name actions use: "go:1.24", or "blackbox".
	Kind string
	// Image is the resolved image name, e.g.
	// "openwhisk/action-golang-v1.24:nightly".
	Image string
	// Default marks the default kind of its family.
	Default bool
	// Deprecated kinds are listed but refused to new actions.
	Deprecated bool
}

// Family returns the kind's runtime family: "go" for "go:1.24".
func (k *Kind) Family() string {
	f, _, _ := strings.Cut(k.Kind, ":")
	return f
}

// ExecEnv returns the OW_EXECUTION_ENV of the kind's image, which an
// action's exec.env must match; "" for blackbox, whose proxy checks none.
func (k *Kind) ExecEnv() string {
	if k.Kind == blackboxKind {
		return ""
	}
	return ExecEnv(k.Image)
}

// DefaultKind is the go kind a sim offers as its family's default unless
// told otherwise: the newest image apache/openwhisk-runtime-go builds.
const DefaultKind = "go:1.24"

// DefaultExecEnv is the exec.env an action of DefaultKind needs.
const DefaultExecEnv = "openwhisk/action-golang-v1.24"

const blackboxKind = "blackbox"

// DefaultKinds returns the kinds a sim offers unless told otherwise: the
// go kinds whose images apache/openwhisk-runtime-go builds today (go:1.22,
// go:1.23 and go:1.24, the newest the default) and blackbox.
func DefaultKinds() []Kind {
	ks, _ := ParseKinds("go:1.22,go:1.23,go:1.24,blackbox", DefaultKind)
	return ks
}

// ExecEnv returns the OW_EXECUTION_ENV an OpenWhisk runtime image sets:
// "openwhisk/" and the image's repository name, without registry, path,
// tag or digest. "openwhisk/action-golang-v1.24:nightly" gives
// "openwhisk/action-golang-v1.24".
func ExecEnv(image string) string {
	name := image[strings.LastIndexByte(image, '/')+1:]
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	return "openwhisk/" + name
}

var goKindRE = regexp.MustCompile(`^go:1\.(\d{1,3})$`)

// goImage returns the image runtime-go builds for go:1.NN, or "".
func goImage(kind string) string {
	m := goKindRE.FindStringSubmatch(kind)
	if m == nil {
		return ""
	}
	return "openwhisk/action-golang-v1." + m[1] + ":nightly"
}

// ParseKinds reads a list of kinds such as "go:1.22,go:1.23=IMAGE,blackbox":
// go:1.NN kinds default to the image runtime-go builds, blackbox to
// openwhisk/dockerskeleton:nightly; any other go kind needs "=IMAGE".
// def names the default go kind: "" means the newest go:1.NN listed,
// "none" means none.
func ParseKinds(spec, def string) ([]Kind, error) {
	var ks []Kind
	for _, item := range strings.Split(spec, ",") {
		name, image, _ := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		k, err := newKind(name, strings.TrimSpace(image))
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return nil, fmt.Errorf("no kinds in %q", spec)
	}
	if def == "" {
		def = newestGo(ks)
	}
	if def != "none" && def != "" {
		i := indexKind(ks, def)
		if i < 0 || ks[i].Kind == blackboxKind {
			return nil, fmt.Errorf("default kind %q is not one of the go kinds listed", def)
		}
		ks[i].Default = true
	}
	return ks, checkKinds(ks)
}

func newKind(name, image string) (Kind, error) {
	switch {
	case image != "":
	case name == blackboxKind:
		image = "openwhisk/dockerskeleton:nightly"
	case goImage(name) != "":
		image = goImage(name)
	default:
		return Kind{}, fmt.Errorf("kind %q: say its image as %s=IMAGE (only go:1.NN and blackbox have a known image)", name, name)
	}
	return Kind{Kind: name, Image: image}, nil
}

// newestGo returns the go:1.NN kind with the highest NN, or "".
func newestGo(ks []Kind) string {
	best, bestN := "", -1
	for _, k := range ks {
		if m := goKindRE.FindStringSubmatch(k.Kind); m != nil {
			if n, _ := strconv.Atoi(m[1]); n > bestN {
				best, bestN = k.Kind, n
			}
		}
	}
	return best
}

func indexKind(ks []Kind, name string) int {
	for i := range ks {
		if ks[i].Kind == name {
			return i
		}
	}
	return -1
}

// checkKinds checks a kind list: go kinds and blackbox only (the sim runs
// Go executables), no duplicates, at most one default.
func checkKinds(ks []Kind) error {
	defaults := 0
	for i, k := range ks {
		switch {
		case k.Kind != blackboxKind && k.Family() != "go":
			return fmt.Errorf("kind %q: the sim offers only go kinds and blackbox", k.Kind)
		case k.Image == "":
			return fmt.Errorf("kind %q has no image", k.Kind)
		case indexKind(ks[:i], k.Kind) >= 0:
			return fmt.Errorf("kind %q listed twice", k.Kind)
		case k.Default && k.Kind == blackboxKind:
			return fmt.Errorf("blackbox cannot be a default kind")
		}
		if k.Default {
			defaults++
		}
	}
	if defaults > 1 {
		return fmt.Errorf("more than one default go kind")
	}
	return nil
}

// runtimes is the set of kinds a server offers.
type runtimes struct {
	kinds []Kind
}

// resolve finds the kind an action names, mapping "FAMILY:default" to its
// family's default kind as a controller does. It returns nil and the
// status and message to answer when the kind cannot be used.
func (r *runtimes) resolve(name string) (*Kind, int, string) {
	name = strings.ToLower(strings.TrimSpace(name))
	if fam, ok := strings.CutSuffix(name, ":default"); ok {
		for i := range r.kinds {
			if r.kinds[i].Default && r.kinds[i].Family() == fam {
				name = r.kinds[i].Kind
			}
		}
	}
	if i := indexKind(r.kinds, name); i >= 0 {
		k := &r.kinds[i]
		if k.Deprecated {
			return nil, http.StatusBadRequest, fmt.Sprintf("The '%s' runtime is no longer supported. You may read and delete but not update or invoke this action.", k.Kind)
		}
		return k, 0, ""
	}
	if name == "sequence" {
		return nil, http.StatusNotImplemented, msgUnimplemented("sequences")
	}
	return nil, http.StatusBadRequest, msgMalformed(r.invalidRuntime(name))
}

// invalidRuntime is a controller's message for an unknown kind.
func (r *runtimes) invalidRuntime(kind string) string {
	names := make([]string, len(r.kinds))
	for i, k := range r.kinds {
		names[i] = k.Kind
	}
	return fmt.Sprintf("The specified runtime '%s' is not supported by this platform. Valid values are: '%s'.", kind, strings.Join(names, "', '"))
}

// runtimeDoc is one kind as a controller's GET / lists it.
type runtimeDoc struct {
	Kind        string `json:"kind"`
	Image       string `json:"image"`
	Deprecated  bool   `json:"deprecated"`
	Default     bool   `json:"default"`
	Attached    bool   `json:"attached"`
	RequireMain bool   `json:"requireMain"`
}

// docs returns the runtimes by family, as GET / answers them: blackbox is
// not a family of the manifest, so it is not listed, as on a controller.
func (r *runtimes) docs() map[string][]runtimeDoc {
	m := map[string][]runtimeDoc{}
	for _, k := range r.kinds {
		if k.Kind == blackboxKind {
			continue
		}
		m[k.Family()] = append(m[k.Family()], runtimeDoc{Kind: k.Kind, Image: k.Image,
			Deprecated: k.Deprecated, Default: k.Default, Attached: true})
	}
	return m
}
