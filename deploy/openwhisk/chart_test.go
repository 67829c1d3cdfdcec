package openwhisk

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast/internal/helmtest"
)

// promise is one row of README.md's table: what the chart renders with
// some values files.
type promise struct {
	files                                               []string
	concurrent, perMinute, invokers, slots, controllers int
	userMemory                                          string
}

// readPromises reads the table of README.md whose first column names
// values files.
func readPromises(t *testing.T) []promise {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ps []promise
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(strings.Trim(sc.Text(), "| "), "|")
		if len(cells) != 7 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		var p promise
		switch {
		case cells[0] == "(the chart's defaults)":
		case strings.HasPrefix(cells[0], "`values-"):
			for _, name := range strings.Fields(cells[0]) {
				p.files = append(p.files, strings.Trim(name, "`"))
			}
		default:
			continue
		}
		nums := []*int{&p.concurrent, &p.perMinute, &p.invokers, nil, &p.slots, &p.controllers}
		for i, dst := range nums {
			if dst == nil {
				p.userMemory = cells[i+1]
				continue
			}
			n, err := strconv.Atoi(cells[i+1])
			if err != nil {
				t.Fatalf("README.md row %q: %v", sc.Text(), err)
			}
			*dst = n
		}
		ps = append(ps, p)
	}
	if len(ps) < 5 {
		t.Fatalf("README.md: %d rows of rendered values, want the defaults and 4 combinations", len(ps))
	}
	return ps
}

// rendered is what a rendering of the chart says about Overcast's limits.
type rendered struct {
	concurrent, perMinute, invokers, controllers int
	userMemory, invokerOpts, payload             string
	nginx                                        string
}

func render(t *testing.T, files ...string) rendered {
	t.Helper()
	ms := helmtest.Template(t, files...)
	ctl := helmtest.FindManifest(ms, "StatefulSet", "owdev-controller")
	inv := helmtest.FindManifest(ms, "StatefulSet", "owdev-invoker")
	if ctl == nil || inv == nil {
		t.Fatalf("with %v: no controller or invoker StatefulSet among %d manifests", files, len(ms))
	}
	env := func(m helmtest.Manifest, container, name string) string {
		v, ok := m.Env(container, name)
		if !ok {
			t.Fatalf("with %v: container %s has no env %s", files, container, name)
		}
		return v
	}
	atoi := func(what, s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("with %v: %s is %q, which the controller does not read as an integer", files, what, s)
		}
		return n
	}
	replicas := func(m helmtest.Manifest) int {
		n, ok := m.Path("spec", "replicas").(float64)
		if !ok {
			t.Fatalf("with %v: %s has no spec.replicas", files, m.Name())
		}
		return int(n)
	}
	var r rendered
	r.concurrent = atoi("LIMITS_ACTIONS_INVOKES_CONCURRENT", env(ctl, "controller", "LIMITS_ACTIONS_INVOKES_CONCURRENT"))
	r.perMinute = atoi("LIMITS_ACTIONS_INVOKES_PERMINUTE", env(ctl, "controller", "LIMITS_ACTIONS_INVOKES_PERMINUTE"))
	if inv := atoi("the invoker's LIMITS_ACTIONS_INVOKES_CONCURRENT", env(inv, "invoker", "LIMITS_ACTIONS_INVOKES_CONCURRENT")); inv != r.concurrent {
		t.Errorf("with %v: the invoker's concurrent limit %d differs from the controller's %d", files, inv, r.concurrent)
	}
	r.payload = env(ctl, "controller", "CONFIG_whisk_activation_payload_max")
	r.userMemory = env(inv, "invoker", "CONFIG_whisk_containerPool_userMemory")
	r.invokerOpts = env(inv, "invoker", "INVOKER_OPTS")
	r.invokers, r.controllers = replicas(inv), replicas(ctl)
	if cm := helmtest.FindManifest(ms, "ConfigMap", "owdev-nginx"); cm != nil {
		r.nginx, _ = cm.Path("data", "nginx.conf").(string)
	}
	return r
}

// TestChartRendersPromises renders Apache's chart with each combination
// of values files README.md lists, and with none, and checks the limits,
// invokers, user memory and controllers the table promises are in the
// manifests, and that Read reads the same from the files.
func TestChartRendersPromises(t *testing.T) {
	for _, p := range readPromises(t) {
		name := strings.Join(p.files, "+")
		if name == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			r := render(t, p.files...)
			got := promise{files: p.files, concurrent: r.concurrent, perMinute: r.perMinute, invokers: r.invokers,
				controllers: r.controllers, userMemory: r.userMemory}
			v, err := Read(p.files...)
			if err != nil {
				t.Fatal(err)
			}
			got.slots = v.Slots(256)
			if !reflect.DeepEqual(got, p) {
				t.Errorf("rendered %+v, README.md promises %+v", got, p)
			}
			if v.Concurrent != r.concurrent || v.PerMinute != r.perMinute || v.Invokers != r.invokers ||
				v.ControllerReplicas != r.controllers || strconv.Itoa(v.PayloadBytes) != r.payload {
				t.Errorf("Read gives %+v; the chart rendered %+v", v, r)
			}
			if len(p.files) == 0 {
				return
			}
			if v.Slots(256) < v.Concurrent {
				t.Errorf("%d slots of 256 MB fall short of the concurrent limit %d: the invokers would bind", v.Slots(256), v.Concurrent)
			}
			if !strings.Contains(r.invokerOpts, "LogDriverLogStoreProvider") || !strings.Contains(r.invokerOpts, "KubernetesContainerFactoryProvider") {
				t.Errorf("INVOKER_OPTS %q lacks the log driver log store or the Kubernetes container factory", r.invokerOpts)
			}
			if v.MemoryMB.Std != 256 || v.TimeMS.Max < 15*60*1000 {
				t.Errorf("action memory %+v MB, time %+v ms: want Overcast's 256 MB default and up to 15 minutes", v.MemoryMB, v.TimeMS)
			}
		})
	}
}

// TestChartContract is the contract other tools rely on: the chart
// renders with values-kubernetes.yaml and values-openshift.yaml alone,
// with LIMITS_ACTIONS_INVOKES_CONCURRENT at least 2000, and helm lint
// passes; the stock chart gives 30 and 60.
func TestChartContract(t *testing.T) {
	stock := render(t)
	if stock.concurrent != 30 || stock.perMinute != 60 {
		t.Errorf("the stock chart renders %d concurrent, %d a minute; want 30 and 60", stock.concurrent, stock.perMinute)
	}
	for _, f := range []string{"values-kubernetes.yaml", "values-openshift.yaml"} {
		r := render(t, f)
		if r.concurrent < 2000 {
			t.Errorf("%s: LIMITS_ACTIONS_INVOKES_CONCURRENT %d, want at least 2000", f, r.concurrent)
		}
		helmtest.Lint(t, f)
		helmtest.Lint(t, f, "values-10k.yaml")
	}
	if os := render(t, "values-openshift.yaml"); !strings.Contains(os.nginx, "resolver dns-default.openshift-dns;") {
		t.Errorf("values-openshift.yaml: nginx does not resolve through OpenShift's DNS:\n%s", os.nginx)
	}
	if k := render(t, "values-kubernetes.yaml"); strings.Contains(k.nginx, "openshift") {
		t.Errorf("values-kubernetes.yaml renders OpenShift's DNS")
	}
}

// TestChartDefaults checks the embedded defaults against the chart's own
// values.yaml: Read with no files equals Read of that file.
func TestChartDefaults(t *testing.T) {
	chart := helmtest.Chart(t)
	want, err := Read(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("embedded defaults %+v, the chart's values.yaml %+v", got, want)
	}
	if got := Defaults(); got.Concurrent != 30 || got.PerMinute != 60 || got.Slots(256) != 8 {
		t.Errorf("defaults %+v: want 30 concurrent, 60 a minute, 8 slots of 256 MB", got)
	}
}

// TestChartNumberTrap shows the trap the values files stay clear of: helm
// renders a limit of 1,200,000 as 1.2e+06, which the controller does not
// read as an integer, and Read refuses such a value.
func TestChartNumberTrap(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, []byte("whisk:\n  limits:\n    actionsInvokesPerminute: 1200000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl := helmtest.FindManifest(helmtest.Template(t, big), "StatefulSet", "owdev-controller")
	if v, _ := ctl.Env("controller", "LIMITS_ACTIONS_INVOKES_PERMINUTE"); v != "1.2e+06" {
		t.Errorf("helm rendered 1200000 as %q; the values files' comments say 1.2e+06", v)
	}
	if _, err := Read(big); err == nil {
		t.Error("Read accepted a limit helm renders as 1.2e+06")
	}
}

// TestChartGoKind checks ChartGoKind and ChartGoImage against the chart's
// runtimes.json: its only go kind, the default.
func TestChartGoKind(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(helmtest.Chart(t), "runtimes.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rt struct {
		Runtimes map[string][]struct {
			Kind    string `json:"kind"`
			Default bool   `json:"default"`
			Image   struct {
				Prefix, Name, Tag string
			} `json:"image"`
		} `json:"runtimes"`
	}
	if err := json.Unmarshal(data, &rt); err != nil {
		t.Fatal(err)
	}
	gos := rt.Runtimes["go"]
	if len(gos) != 1 || gos[0].Kind != ChartGoKind || !gos[0].Default ||
		gos[0].Image.Prefix+"/"+gos[0].Image.Name+":"+gos[0].Image.Tag != ChartGoImage {
		t.Errorf("the chart's go kinds %+v, want only %s (%s), the default", gos, ChartGoKind, ChartGoImage)
	}
}
