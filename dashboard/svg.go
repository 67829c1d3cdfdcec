package dashboard

import (
	"fmt"
	"html"
	"strings"
)

// svg builds one SVG image as text.
type svg struct {
	b    strings.Builder
	w, h int
}

func newSVG(w, h int, label string) *svg {
	s := &svg{w: w, h: h}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(label))
	return s
}

func (s *svg) rect(x, y, w, h float64, class string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"/>`, x, y, w, h, class)
}

func (s *svg) rectTitle(x, y, w, h float64, class, title string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"><title>%s</title></rect>`,
		x, y, w, h, class, html.EscapeString(title))
}

func (s *svg) line(x0, y0, x1, y1 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="%s"/>`, x0, y0, x1, y1, class)
}

func (s *svg) text(x, y float64, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, html.EscapeString(t))
}

func (s *svg) polyline(xs, ys []float64, class string) {
	if len(xs) == 0 {
		return
	}
	s.b.WriteString(`<polyline points="`)
	for i := range xs {
		fmt.Fprintf(&s.b, "%.1f,%.1f ", xs[i], ys[i])
	}
	fmt.Fprintf(&s.b, `" class="%s"/>`, class)
}

func (s *svg) String() string { return s.b.String() + "</svg>" }

// axes draws a time axis along the bottom of a plot area and a label on
// the left, with ticks at round numbers of seconds.
func (s *svg) timeAxis(p area, span float64) {
	s.line(p.x, p.y+p.h, p.x+p.w, p.y+p.h, "axis")
	step := niceStep(span / 6)
	for t := 0.0; t <= span+1e-9 && step > 0; t += step {
		x := p.x + p.w*t/span
		s.line(x, p.y+p.h, x, p.y+p.h+4, "axis")
		s.text(x, p.y+p.h+16, "middle", "tick", formatSeconds(t))
	}
}

// area is a plot's drawing area inside its SVG.
type area struct{ x, y, w, h float64 }

// niceStep rounds v up to 1, 2 or 5 times a power of ten.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for p > v {
		p /= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func formatSeconds(t float64) string {
	switch {
	case t >= 120:
		return fmt.Sprintf("%.0fm", t/60)
	case t == float64(int(t)):
		return fmt.Sprintf("%.0fs", t)
	default:
		return fmt.Sprintf("%.2gs", t)
	}
}
