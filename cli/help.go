package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// groupAnnotation is the flag annotation naming the help section a flag
// is listed in; flags without one are listed under "Flags:".
const groupAnnotation = "overcast_group"

func init() {
	cobra.AddTemplateFunc("overcastFlags", groupedFlagUsages)
}

// localFlagsSection is the part of cobra's usage template that lists a
// command's own flags, which usageTemplate replaces with grouped sections.
const localFlagsSection = "Flags:\n{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}"

// usageTemplate returns cobra's usage template with a command's flags
// listed by group: its own first, then one section per backend.
func usageTemplate(def string) string {
	if !strings.Contains(def, localFlagsSection) {
		panic("cli: cobra's usage template has no flags section to group")
	}
	return strings.Replace(def, localFlagsSection, "{{overcastFlags .}}", 1)
}

// setGroup puts flag f in the help section titled group.
func setGroup(f *pflag.Flag, group string) {
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[groupAnnotation] = []string{group}
}

// groupedFlagUsages lists cmd's own flags: "Flags:", then a section per
// group, the backends' in backendOrder.
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

// groupRank orders help sections: the backends' in backendOrder, then
// any other.
func groupRank(title string) int {
	for i, name := range backendOrder {
		if bf := backendFlagSets[name]; bf != nil && bf.title == title {
			return i
		}
	}
	return len(backendOrder)
}
