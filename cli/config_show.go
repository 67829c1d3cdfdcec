package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/overcast-sc/overcast/backend/httpfn"
	"github.com/overcast-sc/overcast/backend/openwhisk"
	"github.com/overcast-sc/overcast/storage"
)

// noConfigFile says why there is no default configuration file.
var noConfigFile = usagef("no home directory, so no configuration file unless --%s or %s names one", configFlag, configEnv)

// resolved is one setting as a run would use it, and where it came from.
// A secret's value is never kept: Set says whether it has one.
type resolved struct {
	Name   string `json:"-"`
	Value  string `json:"value,omitempty"`
	Set    bool   `json:"set,omitempty"`
	Secret bool   `json:"secret,omitempty"`
	Source string `json:"source"`
}

// configJSON is config show --json.
type configJSON struct {
	Config   string               `json:"config"`
	Exists   bool                 `json:"exists"`
	Profile  string               `json:"profile,omitempty"`
	Settings map[string]*resolved `json:"settings"`
}

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the settings a run would use and where each comes from",
		Long: `Settings come from, first to last: flags, environment variables (OVERCAST_STORAGE,
WHISK_APIHOST, WHISK_AUTH, WHISK_NAMESPACE, AWS_REGION, AWS_PROFILE), the
profile of the configuration file ($XDG_CONFIG_HOME/overcast/config.yaml,
--config or OVERCAST_CONFIG; --config-profile or OVERCAST_PROFILE, else
"default"), the platforms' files (~/.wskprops, the AWS configuration chain),
defaults. A profile maps flag names to values.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newConfigShowCmd(a), newConfigPathCmd(a.stdout))
	return cmd
}

func newConfigShowCmd(a *app) *cobra.Command {
	rf := runFlags{backends: a.backendFlags()}
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the resolved settings and their sources; credentials are masked",
		Example: `  overcast config show
  overcast config show --config-profile big-openwhisk --json
  overcast config show --backend lambda`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.showConfig(cmd.Context(), cmd, &rf)
		},
	}
	rf.add(cmd.Flags())
	return cmd
}

func newConfigPathCmd(stdout io.Writer) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "path",
		Short: "Print the configuration file's path",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := configPath(file)
			if path == "" {
				return noConfigFile
			}
			_, err := fmt.Fprintln(stdout, path)
			return err
		},
	}
	cmd.Flags().StringVar(&file, configFlag, "", "configuration file (default $"+configEnv+", else $XDG_CONFIG_HOME/overcast/config.yaml)")
	return cmd
}

// showConfig prints the settings of cmd's flags that a run on backend
// would use: the general ones, the backend's, and any other given.
func (a *app) showConfig(ctx context.Context, cmd *cobra.Command, rf *runFlags) error {
	backend, w := rf.backend, a.stdout
	fs := cmd.Flags()
	file, _ := fs.GetString(configFlag)
	path, _ := configPath(file)
	out := configJSON{Config: path, Settings: map[string]*resolved{}}
	if _, err := os.Stat(path); err == nil {
		out.Exists = true
	}
	out.Profile = a.shownProfile(fs)
	title := ""
	if s := rf.backends.section(backend); s != nil {
		title = s.title
	}
	var rows []*resolved
	fs.VisitAll(func(f *pflag.Flag) {
		g := f.Annotations[groupAnnotation]
		if notSettings[f.Name] || f.Name == "json" {
			return
		}
		mine := len(g) == 0 || (len(g) == 1 && title != "" && strings.Contains(g[0], title)) // shared flags' titles name each backend
		if !mine && !f.Changed && fromConfig(f) == "" {
			return
		}
		r := resolveSetting(ctx, fs, f)
		rows = append(rows, r)
		out.Settings[r.Name] = r
	})
	switch backend {
	case "lambda":
		r := awsCredentials(ctx, fs)
		rows = append(rows, r)
		out.Settings[r.Name] = r
	case "http":
		r := httpCredentials(fs)
		rows = append(rows, r)
		out.Settings[r.Name] = r
	}
	r := a.journalSetting()
	rows = append(rows, r)
	out.Settings[r.Name] = r
	var err error
	if rf.json {
		err = printIndented(w, out)
	} else {
		err = printSettings(w, out, rows)
	}
	if err != nil {
		return err
	}
	_, err = rf.backends.url(backend) // a value or a lack run would refuse
	return err
}

// shownProfile names the profile in use for config show's header.
func (a *app) shownProfile(fs *pflag.FlagSet) string {
	if a.resuming() {
		return ""
	}
	file, _ := fs.GetString(configFlag)
	name, _ := fs.GetString(profileFlag)
	c, err := loadConfig(configPath(file))
	if err != nil {
		return ""
	}
	p, _ := c.selectProfile(name)
	return p
}

// printSettings prints the settings as a table: name, value, source.
func printSettings(w io.Writer, c configJSON, rows []*resolved) error {
	state := "does not exist"
	if c.Exists {
		state = "profile " + c.Profile
		if c.Profile == "" {
			state = "no profile"
		}
	}
	if c.Config == "" {
		fmt.Fprintf(w, "config none: %v\n", noConfigFile)
	} else {
		fmt.Fprintf(w, "config %s (%s)\n", c.Config, state)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rows {
		v := r.Value
		switch {
		case r.Secret && r.Set:
			v = "(set, hidden)"
		case r.Secret:
			v = "(not set)"
		case v == "":
			v = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.Name, v, r.Source)
	}
	return tw.Flush()
}

// resolveSetting finds f's value and source: flag, environment, profile,
// platform file, default.
func resolveSetting(ctx context.Context, fs *pflag.FlagSet, f *pflag.Flag) *resolved {
	r := &resolved{Name: f.Name, Secret: isSecret(f.Name)}
	v := f.Value.String()
	switch {
	case f.Changed:
		r.Source = "flag --" + f.Name
	case fromConfig(f) != "":
		r.Source = fromConfig(f)
	case envFor(f.Name) != "":
		r.Source = "env " + envFor(f.Name)
		v = os.Getenv(envFor(f.Name))
	default:
		if pv, src := platformSetting(ctx, fs, f.Name); src != "" {
			v, r.Source = pv, src
		} else {
			r.Source = "default"
		}
	}
	if r.Secret {
		r.Set = v != ""
		return r
	}
	if f.Name == "storage" {
		v = storage.Redact(v)
	}
	r.Value = withoutUserinfo(v)
	return r
}

// platformSetting returns a setting the platform's own files give:
// ~/.wskprops (or WSK_CONFIG_FILE) for OpenWhisk, the AWS profile's region.
func platformSetting(ctx context.Context, fs *pflag.FlagSet, name string) (value, source string) {
	switch name {
	case "apihost", "auth", "namespace":
		path := openwhisk.ConfigFile(os.Getenv)
		data, err := os.ReadFile(path)
		if err != nil {
			return "", ""
		}
		props := openwhisk.ParseProps(data)
		key := map[string]string{"apihost": "APIHOST", "auth": "AUTH", "namespace": "NAMESPACE"}[name]
		if props[key] == "" {
			return "", ""
		}
		return props[key], path
	case "region":
		profile := awsProfile(fs)
		sc, err := sharedAWSConfig(ctx, profile)
		if err != nil || sc.Region == "" {
			return "", ""
		}
		return sc.Region, "AWS profile " + profile
	}
	return "", ""
}

// awsProfile returns the AWS profile a lambda run uses.
func awsProfile(fs *pflag.FlagSet) string {
	if p, _ := fs.GetString("profile"); p != "" {
		return p
	}
	if v := envFor("profile"); v != "" {
		return os.Getenv(v)
	}
	return "default"
}

// sharedAWSConfig reads an AWS profile from the shared files the SDK reads.
func sharedAWSConfig(ctx context.Context, profile string) (awsconfig.SharedConfig, error) {
	return awsconfig.LoadSharedConfigProfile(ctx, profile, func(o *awsconfig.LoadSharedConfigOptions) {
		if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
			o.ConfigFiles = []string{f}
		}
		if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
			o.CredentialsFiles = []string{f}
		}
	})
}

// awsCredentials says whether and where the AWS chain finds credentials
// in the environment or the profile's files; never their value.
func awsCredentials(ctx context.Context, fs *pflag.FlagSet) *resolved {
	r := &resolved{Name: "credentials", Secret: true, Set: true}
	profile := awsProfile(fs)
	sc, err := sharedAWSConfig(ctx, profile)
	switch {
	case os.Getenv("AWS_ACCESS_KEY_ID") != "" && os.Getenv("AWS_SECRET_ACCESS_KEY") != "":
		r.Source = "env AWS_ACCESS_KEY_ID"
	case err != nil:
		r.Set, r.Source = false, "AWS profile "+profile+" not found (an instance role may still give some)"
	case sc.Credentials.HasKeys():
		r.Source = "AWS profile " + profile
	case sc.SSOSessionName != "" || sc.SSOStartURL != "":
		r.Source = "AWS profile " + profile + " (SSO login)"
	case sc.RoleARN != "":
		r.Source = "AWS profile " + profile + " (role " + sc.RoleARN + ")"
	case sc.CredentialProcess != "":
		r.Source = "AWS profile " + profile + " (credential_process)"
	default:
		r.Set, r.Source = false, "none in AWS profile "+profile+" (an instance role may still give some)"
	}
	return r
}

// httpCredentials says whether and where the http backend finds
// credentials: --token-file, else the environment; never their value.
func httpCredentials(fs *pflag.FlagSet) *resolved {
	r := &resolved{Name: "credentials", Secret: true, Set: true}
	if f := fs.Lookup("token-file"); f != nil && f.Value.String() != "" {
		r.Source = "the file of --token-file"
		return r
	}
	for _, v := range []string{httpfn.EnvToken, httpfn.EnvAzureKey, httpfn.EnvBasic} {
		if os.Getenv(v) != "" {
			r.Source = "env " + v
			return r
		}
	}
	r.Set, r.Source = false, "none (--http-auth google may still use Google's default credentials)"
	return r
}

// journalSetting says where runs are journaled.
func (a *app) journalSetting() *resolved {
	r := &resolved{Name: "journal"}
	if os.Getenv("OVERCAST_JOURNAL") == "off" {
		r.Value, r.Source = "off", "env OVERCAST_JOURNAL"
		return r
	}
	root, err := a.jobsRoot("")
	if err != nil {
		r.Source = err.Error()
		return r
	}
	r.Value, r.Source = root, "default"
	if os.Getenv("OVERCAST_HOME") != "" {
		r.Source = "env OVERCAST_HOME"
	}
	return r
}
