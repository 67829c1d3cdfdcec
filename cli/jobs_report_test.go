package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// externalRefs returns every reference of an HTML document to something
// outside it: a src, href, action, poster or xlink:href attribute that is
// not a fragment or data: URL, and any url( in styles.
func externalRefs(doc string) []string {
	var refs []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return refs
		case html.StartTagToken, html.SelfClosingTagToken:
			for {
				key, val, more := z.TagAttr()
				k, v := string(key), strings.TrimSpace(string(val))
				switch {
				case k == "src" || k == "href" || k == "xlink:href" || k == "action" || k == "poster" || k == "srcset":
					if !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
						refs = append(refs, k+"="+v)
					}
				case strings.Contains(strings.ToLower(v), "url("):
					refs = append(refs, k+"="+v)
				}
				if !more {
					break
				}
			}
		case html.TextToken:
			if t := strings.ToLower(string(z.Text())); strings.Contains(t, "url(") || strings.Contains(t, "@import") {
				refs = append(refs, "text: "+t[:min(len(t), 80)])
			}
		}
	}
}

func TestExternalRefsFindsThem(t *testing.T) {
	doc := `<html><head><link rel="stylesheet" href="style.css"><style>b{background:url(x.png)}</style></head>
<body><img src="https://example.invalid/a.png"><a href="#top">top</a><img src="data:,"><svg><image href="pic.png"/></svg></body></html>`
	got := externalRefs(doc)
	if len(got) != 4 {
		t.Fatalf("externalRefs found %d references, want 4 (stylesheet, url(), img, svg image): %q", len(got), got)
	}
}

func TestJobsReportIsSelfContained(t *testing.T) {
	env, _ := homeEnv(t)
	out, stderr, code := binIn(t, env, "run", "pi", "--samples", "1e7", "--tasks", "200", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	id := decode[result](t, out, "run").JobID
	file := filepath.Join(t.TempDir(), "report.html")
	out, stderr, code = binIn(t, env, "jobs", "report", id, "--output", file)
	if code != 0 || strings.TrimSpace(out) != file {
		t.Fatalf("jobs report: exit %d, %q %s", code, out, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if refs := externalRefs(doc); len(refs) > 0 {
		t.Errorf("the report references things outside itself: %q", refs)
	}
	for _, want := range []string{`<b id="done">200</b>`, "Task stream", "<svg", `class="s-run"`, "Tasks in flight", "Throughput", "Cold and warm starts", "AWS Lambda arm64 $"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(doc, "<script") {
		t.Error("the report has a script; it should need none")
	}
	if _, _, code := binIn(t, env, "jobs", "report", id); code != 2 {
		t.Errorf("jobs report without --output: exit %d, want 2", code)
	}
	if _, stderr, code := binIn(t, env, "jobs", "report", "20990101-000000-abcdef", "--output", file); code == 0 || !strings.Contains(stderr, "no job") {
		t.Errorf("report of an unknown job: exit %d, %s", code, stderr)
	}
}
