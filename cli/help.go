package cli

import (
	"fmt"
	"slices"
	"strings"
	"text/template"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// groupAnnotation is the flag annotation naming the help section a flag
// is listed in; flags without one are listed under "Flags:".
const groupAnnotation = "overcast_group"

// localFlagsSection is the part of cobra's usage template that lists a
// command's own flags, which usageTemplate replaces with grouped sections.
const localFlagsSection = "Flags:\n{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}"

// usageTemplate returns cobra's usage template with a command's flags
// listed by group: its own first, then one section per backend.
func usageTemplate(def string) string {
	if !strings.Contains(def, localFlagsSection) {
		panic("cli: cobra's usage template has no flags section to group")
	}
	return strings.Replace(def, localFlagsSection, "{{groupedFlags .}}", 1)
}

// setUsage makes root and its commands print their usage with cobra's
// template, flags grouped by section (usageTemplate). The template's
// functions are root's own, not cobra's process-wide ones.
func setUsage(root *cobra.Command) {
	tmpl := template.Must(template.New("usage").Funcs(template.FuncMap{
		"groupedFlags":            groupedFlagUsages,
		"trimTrailingWhitespaces": func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) },
		"rpad":                    func(s string, n int) string { return fmt.Sprintf("%-*s", n, s) },
	}).Parse(usageTemplate(root.UsageTemplate())))
	root.SetUsageFunc(func(c *cobra.Command) error { return tmpl.Execute(c.OutOrStderr(), c) })
}

// setGroup puts flag f in the help section titled group.
func setGroup(f *pflag.Flag, group string) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[groupAnnotation] = []string{group}
}

// groupedFlagUsages lists cmd's own flags: "Flags:", then a section per
// group, the backends' in backendTitles' order.
func groupedFlagUsages(cmd *cobra.Command) string {
	main := pflag.NewFlagSet("", pflag.ContinueOnError)
	groups := map[string]*pflag.FlagSet{}
	var order []string
	fs := cmd.LocalFlags()
	fs.SortFlags = false
	fs.VisitAll(func(f *pflag.Flag) {
		g := f.Annotations[groupAnnotation]
		if len(g) == 0 {
			main.AddFlag(f)
			return
		}
		if groups[g[0]] == nil {
			groups[g[0]] = pflag.NewFlagSet(g[0], pflag.ContinueOnError)
			order = append(order, g[0])
		}
		groups[g[0]].AddFlag(f)
	})
	slices.SortStableFunc(order, func(a, b string) int { return groupRank(a) - groupRank(b) })
	var b strings.Builder
	b.WriteString("Flags:\n")
	b.WriteString(strings.TrimRight(main.FlagUsages(), " \n"))
	for _, g := range order {
		b.WriteString("\n\n" + g + " flags:\n")
		b.WriteString(strings.TrimRight(groups[g].FlagUsages(), " \n"))
	}
	return b.String()
}

// groupRank orders help sections: the backends' in backendTitles, then
// any other.
func groupRank(title string) int {
	titles := backendTitles()
	if i := slices.Index(titles, title); i >= 0 {
		return i
	}
	return len(titles)
}
