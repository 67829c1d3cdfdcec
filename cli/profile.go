package cli

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Settings come from, first to last: flags, environment variables, the
// configuration file's profile, the platforms' own files (~/.wskprops, the
// AWS configuration chain), defaults.

// sourceAnnotation marks a flag the configuration file gave its value; the
// annotation says where (profile NAME in FILE).
const sourceAnnotation = "overcast_source"

// configTitle is the help section of --config and --config-profile.
const configTitle = "Configuration"

// settingEnv names, for each setting read from the environment when its
// flag is not given, those variables: they win over a profile.
var settingEnv = map[string][]string{
	"storage":   {storageEnv},
	"apihost":   {"WHISK_APIHOST"},
	"auth":      {"WHISK_AUTH"},
	"namespace": {"WHISK_NAMESPACE"},
	"region":    {"AWS_REGION", "AWS_DEFAULT_REGION"},
	"profile":   {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"},
}

// notSettings are flags a configuration file cannot set: a fixed job id
// would make every run the same job.
var notSettings = map[string]bool{"help": true, "job-id": true, configFlag: true, profileFlag: true}

// useProfiles makes every command of root that takes backend flags read
// the configuration file: the command gains --config and
// --config-profile, and before it runs, the profile's settings fill the
// flags that neither the command line nor the environment gave.
func useProfiles(root *cobra.Command, a *app) {
	for _, cmd := range profileCommands(root) {
		var file, profile string
		fs := cmd.Flags()
		fs.StringVar(&file, configFlag, "", "configuration file (default $"+configEnv+", else $XDG_CONFIG_HOME/overcast/config.yaml)")
		fs.StringVar(&profile, profileFlag, "", `profile of the configuration file (default $`+profileEnv+`, else "`+defaultProfile+`")`)
		setGroup(fs.Lookup(configFlag), configTitle)
		setGroup(fs.Lookup(profileFlag), configTitle)
		pre, run := cmd.PreRunE, cmd.RunE
		if run != nil {
			cmd.RunE = func(c *cobra.Command, args []string) error { return blameConfig(c, run(c, args)) }
		}
		cmd.PreRunE = func(c *cobra.Command, args []string) error {
			if err := applyProfile(c, a, file, profile); err != nil {
				return err
			}
			if pre != nil {
				return pre(c, args)
			}
			return nil
		}
	}
}

// profileCommands returns the commands under root that take backend
// flags (any flag in a help section of its own).
func profileCommands(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		grouped := false
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			grouped = grouped || len(f.Annotations[groupAnnotation]) > 0
		})
		if grouped {
			out = append(out, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// settingNames returns the names a configuration file may set: the flags
// of every command under root that takes backend flags.
func settingNames(root *cobra.Command) map[string]bool {
	names := map[string]bool{}
	for _, c := range profileCommands(root) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !notSettings[f.Name] {
				names[f.Name] = true
			}
		})
	}
	return names
}

// applyProfile gives cmd's flags that the command line and environment
// left unset the values of the selected profile. Every setting of the
// profile must be a known one; a value its flag refuses is an error
// naming the file, profile and key. A resumed job runs exactly its
// recorded command line (which holds what a profile gave it): no profile
// applies to it.
func applyProfile(cmd *cobra.Command, a *app, file, profile string) error {
	if a.resuming() {
		return nil
	}
	c, err := loadConfig(configPath(file))
	if err != nil {
		return err
	}
	name, err := c.selectProfile(profile)
	if err != nil {
		return err
	}
	set, err := c.settings(name)
	if err != nil {
		return err
	}
	known := settingNames(cmd.Root())
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if !known[key] {
			return usagef("%s: unknown setting %q (a setting is a flag of run, deploy, invoke or bench)", c.where(name, key), key)
		}
		f := cmd.Flags().Lookup(key)
		if f == nil || f.Changed || envFor(key) != "" {
			continue
		}
		if v := set[key].value; key == "backend" && !strings.Contains(v, "://") && !slices.Contains(backendNames(), v) {
			return usagef("%s: backend: unknown backend %q (known: %s)", c.where(name, key), v, strings.Join(backendNames(), ", "))
		}
		if err := f.Value.Set(set[key].value); err != nil {
			return usagef("%s: %s: %v", c.where(name, key), key, err)
		}
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[sourceAnnotation] = []string{set[key].source}
	}
	return nil
}

// blameConfig adds to a usage error about a flag the configuration file
// set where it was set.
func blameConfig(cmd *cobra.Command, err error) error {
	var ue *usageError
	if !errors.As(err, &ue) {
		return err
	}
	msg := err.Error()
	var blamed error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		src := fromConfig(f)
		if src == "" || blamed != nil {
			return
		}
		if i := strings.Index(msg, "--"+f.Name); i >= 0 && !nameContinues(msg[i+2+len(f.Name):]) {
			blamed = usagef("%v (%s from %s)", err, f.Name, src)
		}
	})
	if blamed != nil {
		return blamed
	}
	return err
}

// nameContinues reports whether rest carries on a flag name.
func nameContinues(rest string) bool {
	if rest == "" {
		return false
	}
	c := rest[0]
	return c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

// where names a setting's place for errors: FILE:LINE: profile NAME.
func (c *configFile) where(profile, key string) string {
	s := "config " + c.path
	if l := c.line(profile, key); l > 0 {
		s += ":" + strconv.Itoa(l)
	}
	if _, inProfile := c.profiles[profile][key]; inProfile && profile != "" {
		s += ": profile " + profile
	}
	return s
}

// envFor returns the environment variable that gives the setting key, ""
// when none is set.
func envFor(key string) string {
	for _, v := range settingEnv[key] {
		if os.Getenv(v) != "" {
			return v
		}
	}
	return ""
}

// fromConfig returns where the configuration file set f, "" if it did not.
func fromConfig(f *pflag.Flag) string {
	if s := f.Annotations[sourceAnnotation]; len(s) == 1 {
		return s[0]
	}
	return ""
}

// visitGiven calls fn for each flag of fs that the command line or the
// configuration file set.
func visitGiven(fs *pflag.FlagSet, fn func(*pflag.Flag)) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || fromConfig(f) != "" {
			fn(f)
		}
	})
}

// isSecret reports whether a setting holds credentials: its value is never
// printed or journaled. (Other credentials come from files and the
// environment: --token-file names a file, --http-auth a mode.)
func isSecret(name string) bool {
	return secretFlags[name]
}
