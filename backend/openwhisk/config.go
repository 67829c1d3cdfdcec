package openwhisk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Config is where and as whom to reach OpenWhisk, as wsk users have it.
// Its String method never shows Auth.
type Config struct {
	// APIHost is the API host, with or without scheme (https when absent).
	APIHost string
	// Auth is "uuid:key"; it is never printed.
	Auth string
	// Namespace is the namespace; empty means "_", the caller's own.
	Namespace string
	// APIVersion is the API version; empty means v1.
	APIVersion string
	// Cert and Key are a client certificate and its key (file paths).
	Cert, Key string
	// Insecure skips TLS certificate verification (wsk -i).
	Insecure bool
}

// String describes c without its credentials.
func (c Config) String() string {
	auth := "none"
	if c.Auth != "" {
		auth = "set"
	}
	return fmt.Sprintf("apihost=%s namespace=%s auth=%s", c.APIHost, c.namespace(), auth)
}

func (c *Config) namespace() string {
	if c.Namespace == "" {
		return "_"
	}
	return c.Namespace
}

// BaseURL returns APIHOST + /api/v1 (or the configured version).
func (c *Config) BaseURL() (*url.URL, error) {
	host := strings.TrimSpace(c.APIHost)
	if host == "" {
		return nil, errors.New("no API host: set APIHOST in ~/.wskprops (or WSK_CONFIG_FILE), WHISK_APIHOST, or --apihost")
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("bad API host %q: want host[:port] or http(s)://host[:port]", c.APIHost)
	}
	if u.User != nil {
		return nil, errors.New("the API host must not carry credentials; set AUTH instead")
	}
	v := c.APIVersion
	if v == "" {
		v = "v1"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/" + v
	return u, nil
}

// ConfigFile returns the wskprops path: WSK_CONFIG_FILE, else ~/.wskprops.
func ConfigFile(getenv func(string) string) string {
	if f := getenv("WSK_CONFIG_FILE"); f != "" {
		return f
	}
	home := getenv("HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = h
		}
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".wskprops")
}

// ParseProps reads wskprops content: KEY=VALUE lines; lines that do not
// hold exactly one "=" are skipped, as wsk does.
func ParseProps(data []byte) map[string]string {
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		kv := strings.Split(sc.Text(), "=")
		if len(kv) != 2 {
			continue
		}
		props[strings.TrimSpace(kv[0])] = strings.TrimSpace(kv[1])
	}
	return props
}

// LoadConfig reads the configuration chain: the wskprops file (a missing
// file is not an error), then WHISK_APIHOST, WHISK_AUTH, WHISK_NAMESPACE
// and WHISK_APIVERSION from getenv, which override it.
func LoadConfig(getenv func(string) string) (*Config, error) {
	c := &Config{}
	if path := ConfigFile(getenv); path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			c.applyProps(ParseProps(data))
		case errors.Is(err, os.ErrNotExist) && getenv("WSK_CONFIG_FILE") == "":
		default:
			return nil, fmt.Errorf("read OpenWhisk configuration: %w", err)
		}
	}
	c.applyProps(map[string]string{"APIHOST": getenv("WHISK_APIHOST"), "AUTH": getenv("WHISK_AUTH"),
		"NAMESPACE": getenv("WHISK_NAMESPACE"), "APIVERSION": getenv("WHISK_APIVERSION")})
	return c, nil
}

func (c *Config) applyProps(p map[string]string) {
	set := func(dst *string, key string) {
		if v := p[key]; v != "" {
			*dst = v
		}
	}
	set(&c.APIHost, "APIHOST")
	set(&c.Auth, "AUTH")
	set(&c.Namespace, "NAMESPACE")
	set(&c.APIVersion, "APIVERSION")
	set(&c.Cert, "CERT")
	set(&c.Key, "KEY")
}

// override copies the non-empty fields of o over c.
func (c *Config) override(o *Config) {
	if o == nil {
		return
	}
	c.applyProps(map[string]string{"APIHOST": o.APIHost, "AUTH": o.Auth, "NAMESPACE": o.Namespace,
		"APIVERSION": o.APIVersion, "CERT": o.Cert, "KEY": o.Key})
	c.Insecure = c.Insecure || o.Insecure
}
