package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"time"

	"github.com/overcast-sc/overcast/journal"
)

//go:embed assets
var assets embed.FS

var (
	pages = template.Must(template.ParseFS(assets, "assets/page.html"))
	css   = template.CSS(mustAsset("assets/style.css"))
	js    = template.JS(mustAsset("assets/live.js"))
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// page is what the page template draws: one job's views, or the list.
type page struct {
	Title  string
	CSS    template.CSS
	JS     template.JS
	Events string // the URL of the page's event stream, if live
	Back   string
	Job    *views
	Jobs   []listEntry
}

// views are one job's drawn views.
type views struct {
	ID, Workload, Backend, State string
	Tasks, Done, Failed          int
	Percent, FailedPercent       float64
	Started                      string
	Cost, ETA, Note              string
	Stream, InFlight, Throughput template.HTML
	Errors, ColdWarm, IO         template.HTML
	IOText                       string
	Legend                       []legendEntry
	Window                       bool
	LimitName                    string
}

type legendEntry struct{ Name, Class string }

type listEntry struct {
	journal.Summary
	Link string
}

// draw computes every view of d.
func (d *Job) draw() *views {
	v := &views{ID: d.ID, Workload: d.Workload, Backend: d.Backend, State: d.State,
		Tasks: d.Tasks, Done: d.Done, Failed: d.Failed, Note: d.Note,
		Cost: d.cost(), ETA: d.eta(), Window: len(d.Flow) > 0}
	if !d.Started.IsZero() {
		v.Started = d.Started.UTC().Format(time.DateTime + " UTC")
	}
	if d.Tasks > 0 {
		v.Percent = percent(d.Done, d.Tasks)
		v.FailedPercent = percent(d.Failed, d.Tasks)
	}
	for ph := phaseWait; ph <= phaseFailed; ph++ {
		v.Legend = append(v.Legend, legendEntry{phaseNames[ph], phaseClass[ph]})
	}
	_, v.LimitName = d.limit()
	v.Stream = template.HTML(d.taskStream())
	v.InFlight = template.HTML(d.inFlight())
	v.Throughput = template.HTML(d.throughput())
	v.Errors = template.HTML(d.errorsByKind())
	v.ColdWarm = template.HTML(d.coldWarm())
	v.IO = template.HTML(d.ioChart())
	v.IOText = d.ioText(d.ioTotals())
	return v
}

func percent(n, of int) float64 { return float64(int(1000*float64(n)/float64(of))) / 10 }

// WriteReport writes d's views as one self-contained HTML page: styles
// and images inline, no script, nothing fetched from anywhere.
func WriteReport(w io.Writer, d *Job) error {
	return pages.ExecuteTemplate(w, "page", &page{Title: "overcast job " + d.ID, CSS: css, Job: d.draw()})
}

// writeJobPage writes the live page of one job, its events at events.
func writeJobPage(w io.Writer, d *Job, events string) error {
	return pages.ExecuteTemplate(w, "page", &page{Title: "overcast job " + d.ID, CSS: css, JS: js,
		Events: events, Back: "/", Job: d.draw()})
}

// writeListPage writes the page that lists jobs.
func writeListPage(w io.Writer, jobs []*journal.Summary) error {
	return pages.ExecuteTemplate(w, "page", &page{Title: "overcast jobs", CSS: css, JS: js, Events: "/events",
		Jobs: entries(jobs)})
}

func entries(jobs []*journal.Summary) []listEntry {
	out := make([]listEntry, len(jobs))
	for i, s := range jobs {
		out[i] = listEntry{Summary: *s, Link: "/jobs/" + url.PathEscape(s.ID)}
	}
	return out
}

// viewsHTML renders the changing part of a job's page.
func viewsHTML(d *Job) (string, error) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "views", d.draw()); err != nil {
		return "", fmt.Errorf("draw job %s: %w", d.ID, err)
	}
	return b.String(), nil
}

// listHTML renders the changing part of the list page.
func listHTML(jobs []*journal.Summary) (string, error) {
	var b bytes.Buffer
	err := pages.ExecuteTemplate(&b, "jobs", &page{Jobs: entries(jobs)})
	return b.String(), err
}
