package openwhisk

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// DefaultKind is the kind deployed when the deployment does not say which
// kinds it has (GET / on its API host cannot be read): the newest kind
// of the images apache/openwhisk-runtime-go builds.
const DefaultKind = "go:1.24"

// BlackboxImage is the image of the blackbox kind unless told otherwise.
const BlackboxImage = "openwhisk/dockerskeleton"

// goKindRE matches the kinds of Apache's Go runtime images, go:1.NN.
var goKindRE = regexp.MustCompile(`^go:1\.(\d+)$`)

// kind is what an action's runtime needs of the archive and the exec.
type kind struct {
	name    string
	execEnv string // exec.env content; empty means no such file
	image   string // blackbox image
	why     string // how it was chosen, for the user
}

// checkKind checks the kind settings that need no deployment to judge:
// an empty name (ask the deployment), a go kind, or blackbox.
func checkKind(name, execEnv, image string) error {
	switch {
	case name == "blackbox":
		if execEnv != "" {
			return errors.New("execenv applies to go kinds only (kind blackbox takes an image)")
		}
	case name == "" || strings.HasPrefix(name, "go:"):
		if image != "" {
			return errors.New("image applies to kind blackbox only")
		}
	default:
		return fmt.Errorf("unsupported kind %q: the worker is a Go program, so go:1.NN or blackbox", name)
	}
	return nil
}

// chooseKind picks the kind to deploy and its exec.env. rs is the
// deployment's runtimes, nil when they could not be read (readErr says
// why). An empty name takes the deployment's default go kind, else its
// newest go kind; execEnv overrides what the kind implies.
func chooseKind(rs Runtimes, readErr error, name, execEnv, image string) (*kind, error) {
	if err := checkKind(name, execEnv, image); err != nil {
		return nil, err
	}
	if name == "blackbox" {
		if image == "" {
			image = BlackboxImage
		}
		return &kind{name: name, image: image}, nil
	}
	k, err := goKind(rs, readErr, name)
	if err != nil {
		return nil, err
	}
	if execEnv != "" {
		k.execEnv = execEnv
		k.why += " (exec.env set by execenv)"
	}
	if k.execEnv == "" {
		return nil, fmt.Errorf("kind %s: cannot tell its image's OW_EXECUTION_ENV; set execenv (--execenv) to it, e.g. openwhisk/action-golang-v1.24", k.name)
	}
	k.why = fmt.Sprintf("kind %s, exec.env %s: %s", k.name, k.execEnv, k.why)
	return k, nil
}

// goKind picks the go kind from the runtimes, or without them.
func goKind(rs Runtimes, readErr error, name string) (*kind, error) {
	if rs == nil {
		why := fmt.Sprintf("the deployment does not list its runtimes (%v)", readErr)
		if name == "" {
			name = DefaultKind
			why = "OpenWhisk's stock default go kind, as " + why + "; set --kind go:1.NN to match it"
		}
		return &kind{name: name, execEnv: kindExecEnv(name), why: why}, nil
	}
	if name != "" {
		return listedKind(rs, name)
	}
	return defaultGoKind(rs)
}

// listedKind returns the named kind if the deployment offers it.
func listedKind(rs Runtimes, name string) (*kind, error) {
	r, ok := rs.find(name)
	switch {
	case !ok:
		return nil, fmt.Errorf("this OpenWhisk deployment has no kind %s (its go kinds: %s)", name, goKindList(rs))
	case r.Deprecated:
		return nil, fmt.Errorf("kind %s is deprecated on this OpenWhisk deployment (its go kinds: %s)", name, goKindList(rs))
	}
	return runtimeKind(r, "as asked"), nil
}

// defaultGoKind returns the deployment's default go kind, else its newest
// go kind that is not deprecated.
func defaultGoKind(rs Runtimes) (*kind, error) {
	var usable []Runtime
	for _, r := range rs["go"] {
		if r.Default && !r.Deprecated {
			return runtimeKind(r, "the deployment's default go kind"), nil
		}
		if !r.Deprecated {
			usable = append(usable, r)
		}
	}
	if len(usable) == 0 {
		return nil, noGoKind(rs)
	}
	sort.SliceStable(usable, func(i, j int) bool { return goMinor(usable[i].Kind) > goMinor(usable[j].Kind) })
	return runtimeKind(usable[0], "the deployment's newest go kind (it names no default)"), nil
}

// noGoKind is the error for a deployment without a usable go kind.
func noGoKind(rs Runtimes) error {
	what := "no go kind"
	if len(rs["go"]) > 0 {
		what = "only deprecated go kinds"
	}
	return fmt.Errorf("this OpenWhisk deployment has %s (its kinds: %s); deploy with --kind blackbox, which runs the worker in the dockerskeleton image",
		what, strings.Join(rs.Kinds(), ", "))
}

// runtimeKind is the kind of a listed runtime, its exec.env named after
// its image (else after the kind).
func runtimeKind(r Runtime, why string) *kind {
	env := imageExecEnv(r.Image)
	if env == "" {
		env = kindExecEnv(r.Kind)
	} else {
		why += ", image " + r.Image
	}
	return &kind{name: r.Kind, execEnv: env, why: why}
}

// imageExecEnv returns the OW_EXECUTION_ENV of Apache's Go images:
// "openwhisk/" and the image's repository name without registry, owner,
// tag or digest ("registry.example/openwhisk/action-golang-v1.22:nightly"
// gives "openwhisk/action-golang-v1.22").
func imageExecEnv(image string) string {
	repo, _, _ := strings.Cut(image, "@")
	repo = repo[strings.LastIndex(repo, "/")+1:]
	repo, _, _ = strings.Cut(repo, ":")
	if repo == "" {
		return ""
	}
	return "openwhisk/" + repo
}

// kindExecEnv returns the exec.env of a go:1.NN kind's image, or "" for
// another name.
func kindExecEnv(name string) string {
	if !goKindRE.MatchString(name) {
		return ""
	}
	return "openwhisk/action-golang-v" + strings.TrimPrefix(name, "go:")
}

// goMinor returns NN of go:1.NN, or -1.
func goMinor(name string) int {
	m := goKindRE.FindStringSubmatch(name)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}

// goKindList names the deployment's go kinds, or says it has none.
func goKindList(rs Runtimes) string {
	var ks []string
	for _, r := range rs["go"] {
		k := r.Kind
		if r.Deprecated {
			k += " (deprecated)"
		}
		ks = append(ks, k)
	}
	if len(ks) == 0 {
		return "none; deploy with --kind blackbox"
	}
	sort.Slice(ks, func(i, j int) bool { return goMinor(strings.Fields(ks[i])[0]) < goMinor(strings.Fields(ks[j])[0]) })
	return strings.Join(ks, ", ")
}
