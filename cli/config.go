package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The configuration file and the profile in it are chosen by flags, else
// by these environment variables.
const (
	configEnv   = "OVERCAST_CONFIG"
	profileEnv  = "OVERCAST_PROFILE"
	configFlag  = "config"
	profileFlag = "config-profile"
	// defaultProfile is the profile used when none is named.
	defaultProfile = "default"
)

// configFile is a parsed configuration file: top-level settings, which
// every profile starts from, and named profiles. A setting is a flag name
// and the value the flag would be given.
type configFile struct {
	path     string
	top      map[string]yaml.Node
	profiles map[string]map[string]yaml.Node
}

// profileSetting is one resolved setting of a profile: its value and
// where it was written, for errors and config show.
type profileSetting struct {
	value  string
	source string
}

// configPath returns the configuration file: --config, else
// $OVERCAST_CONFIG, else $XDG_CONFIG_HOME/overcast/config.yaml (by default
// ~/.config/overcast/config.yaml; none, "", without a home directory).
// named reports whether the user chose it, in which case it must exist.
func configPath(flagValue string) (path string, named bool) {
	if flagValue != "" {
		return flagValue, true
	}
	if p := os.Getenv(configEnv); p != "" {
		return p, true
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "overcast", "config.yaml"), false
}

// loadConfig reads and parses the configuration file at path. A missing
// file that the user did not name is an empty configuration.
func loadConfig(path string, named bool) (*configFile, error) {
	if path == "" {
		return &configFile{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !named {
		return &configFile{path: path}, nil
	}
	if err != nil {
		return nil, usagef("config %s: %v", path, unwrapPath(err))
	}
	c, err := parseConfig(data)
	var le *lineError
	if errors.As(err, &le) {
		return nil, usagef("config %s:%d: %s", path, le.line, le.msg)
	}
	if err != nil {
		return nil, usagef("config %s: %v", path, err)
	}
	c.path = path
	return c, nil
}

// unwrapPath drops the path an os error repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseConfig decodes a configuration file strictly: a mapping of settings
// and "profiles", a mapping of names to mappings of settings; a key given
// twice is an error. Top-level keys starting "x-" are ignored: they hold
// values that profiles share through YAML anchors. Whether a key is a known setting is checked by the
// command that reads it.
func parseConfig(data []byte) (*configFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c := &configFile{top: map[string]yaml.Node{}, profiles: map[string]map[string]yaml.Node{}}
	if len(doc.Content) == 0 {
		return c, nil // empty file
	}
	top, err := mapping(doc.Content[0], "the file")
	if err != nil {
		return nil, err
	}
	for _, kv := range top {
		if strings.HasPrefix(kv[0].Value, "x-") {
			continue // a place for anchors (&name) that profiles merge
		}
		if kv[0].Value != "profiles" {
			c.top[kv[0].Value] = *kv[1]
			continue
		}
		profiles, err := mapping(kv[1], "profiles")
		if err != nil {
			return nil, err
		}
		for _, p := range profiles {
			settings, err := mapping(p[1], "profile "+p[0].Value)
			if err != nil {
				return nil, err
			}
			m := map[string]yaml.Node{}
			for _, s := range settings {
				m[s[0].Value] = *s[1]
			}
			c.profiles[p[0].Value] = m
		}
	}
	return c, nil
}

// lineError is a mistake on one line of the file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// mapping returns the key-value pairs of a mapping node (none for an empty
// value), refusing any other node and a key given twice. Aliases are
// followed, and merge keys (<<: *base) add the keys the mapping lacks.
func mapping(n *yaml.Node, what string) ([][2]*yaml.Node, error) {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, &lineError{n.Line, what + " must be a mapping of names to values"}
	}
	var pairs, merged [][2]*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Tag == "!!merge" {
			bases := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				bases = v.Content
			}
			for _, b := range bases {
				m, err := mapping(b, "a merged value")
				if err != nil {
					return nil, err
				}
				merged = append(merged, m...)
			}
			continue
		}
		if l, dup := seen[k.Value]; dup {
			return nil, &lineError{k.Line, fmt.Sprintf("%q is already set on line %d", k.Value, l)}
		}
		seen[k.Value] = k.Line
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	for _, m := range merged {
		if _, ok := seen[m[0].Value]; !ok {
			seen[m[0].Value] = m[0].Line
			pairs = append(pairs, m)
		}
	}
	return pairs, nil
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// profileNames returns the file's profile names, sorted.
func (c *configFile) profileNames() []string {
	var names []string
	for n := range c.profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// selectProfile returns the profile to use: --config-profile, else
// $OVERCAST_PROFILE, else "default" if the file has it, else none ("").
// A named profile the file lacks is an error.
func (c *configFile) selectProfile(flagValue string) (string, error) {
	name, from := flagValue, "--"+profileFlag
	if name == "" {
		name, from = os.Getenv(profileEnv), profileEnv
	}
	if name == "" {
		if _, ok := c.profiles[defaultProfile]; ok {
			return defaultProfile, nil
		}
		return "", nil
	}
	if _, ok := c.profiles[name]; !ok {
		known := "it has none"
		if names := c.profileNames(); len(names) > 0 {
			known = "it has " + strings.Join(names, ", ")
		}
		if c.path == "" {
			return "", usagef("no profile %q (%s): %v", name, from, noConfigFile)
		}
		if _, err := os.Stat(c.path); err != nil {
			known = "the file does not exist"
		}
		return "", usagef("config %s: no profile %q (%s); %s", c.path, name, from, known)
	}
	return name, nil
}

// settings returns the settings of profile (none: "") over the top-level
// ones, each with where it came from. A value that is not a single scalar
// is an error naming the file, profile and key.
func (c *configFile) settings(profile string) (map[string]profileSetting, error) {
	out := map[string]profileSetting{}
	add := func(m map[string]yaml.Node, where string) error {
		for key, n := range m {
			if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
				hint := ""
				if n.Kind == yaml.MappingNode && where == "" {
					hint = " (a profile goes under profiles:)"
				}
				return usagef("config %s:%d: %s%s: want a single value%s", c.path, n.Line, where, key, hint)
			}
			src := "config " + c.path
			if profile != "" && where != "" {
				src = "profile " + profile + " in " + c.path
			}
			out[key] = profileSetting{value: n.Value, source: src}
		}
		return nil
	}
	if err := add(c.top, ""); err != nil {
		return nil, err
	}
	if profile != "" {
		if err := add(c.profiles[profile], "profile "+profile+": "); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// line returns the line a setting was written on, 0 if unknown.
func (c *configFile) line(profile, key string) int {
	if n, ok := c.profiles[profile][key]; ok && profile != "" {
		return n.Line
	}
	if n, ok := c.top[key]; ok {
		return n.Line
	}
	return 0
}
