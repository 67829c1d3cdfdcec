package benchdoc

import (
	"fmt"
	"strings"
)

// Sections are the generated parts of the document, by marker name.
func Sections(r *Results) map[string]string {
	return map[string]string{
		"summary":  Summary(Judge(r, Targets())),
		"gobench":  GoBenchSection(r),
		"overhead": OverheadSection(r),
		"fanout":   FanoutSection(r),
		"scaling":  ScalingSection(r),
		"parallel": ParallelSection(r),
		"faults":   FaultSection(r),
		"coldinit": ColdInitSection(r),
		"fraction": FractionSection(r),
		"scale":    ScaleSection(r),
		"simdata":  SimDataSection(r),
	}
}

// Markers around a generated section NAME.
func begin(name string) string { return "<!-- generated:" + name + " -->" }
func end(name string) string   { return "<!-- end generated:" + name + " -->" }

// Fill replaces what stands between each section's markers in doc. Every
// section must have its markers exactly once, and every marker a section.
func Fill(doc string, sections map[string]string) (string, error) {
	for name, body := range sections {
		b, e := begin(name), end(name)
		if strings.Count(doc, b) != 1 || strings.Count(doc, e) != 1 {
			return "", fmt.Errorf("the document needs %q and %q once each", b, e)
		}
		i, j := strings.Index(doc, b)+len(b), strings.Index(doc, e)
		if j < i {
			return "", fmt.Errorf("%q comes before %q", e, b)
		}
		doc = doc[:i] + "\n" + strings.TrimRight(body, "\n") + "\n" + doc[j:]
	}
	if n := strings.Count(doc, "<!-- generated:"); n != len(sections) {
		return "", fmt.Errorf("the document has %d generated sections, the generator writes %d", n, len(sections))
	}
	return doc, nil
}
