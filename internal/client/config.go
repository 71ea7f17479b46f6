package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"reflect"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// Config is <home>/config.toml. Section and key names follow Massa's client
// configuration ([default_node] ip, private_port, public_port), which the
// operator FAQ tells people to edit; unknown keys are an error naming the key.
type Config struct {
	DefaultNode NodeConfig    `toml:"default_node"`
	Display     DisplayConfig `toml:"display"`
}

// NodeConfig is [default_node]: which node the client talks to.
type NodeConfig struct {
	IP          string `toml:"ip"`
	PrivatePort int    `toml:"private_port"`
	PublicPort  int    `toml:"public_port"`
	// Massa's client config also names its gRPC ports; they are accepted so
	// that a Massa config file loads, and unused (gomassa's client speaks
	// JSON-RPC only).
	GRPCPublicPort  int `toml:"grpc_public_port"`
	GRPCPrivatePort int `toml:"grpc_private_port"`
	// ChainID, when set, is the chain the user expects; the client warns when
	// the node serves another one.
	ChainID *uint64 `toml:"chain_id"`
	// Token is the private API bearer token; TokenFile a file holding it;
	// NodeHome the node's home, whose config/api_token is read when neither
	// is set.
	Token     string `toml:"token"`
	TokenFile string `toml:"token_file"`
	NodeHome  string `toml:"node_home"`
	// PrivateTLSCA is a PEM certificate to trust for a node whose private
	// API is served over TLS (non-loopback binds); set, it makes the client
	// use https for the private API.
	PrivateTLSCA string `toml:"private_tls_ca"`
}

// DisplayConfig is [display]: how human output looks.
type DisplayConfig struct {
	// TypedPrefixes shows keys, addresses and ids as ADR-…, PUB-…, OPE-…
	TypedPrefixes bool `toml:"typed_prefixes"`
}

// Default ports and address, as Massa's client base config.
const (
	DefaultIP          = "127.0.0.1"
	DefaultPrivatePort = 33034
	DefaultPublicPort  = 33035
)

// maxConfigSize bounds the config file read.
const maxConfigSize = 1 << 20

// DefaultConfig is the configuration used when there is no file.
func DefaultConfig() Config {
	return Config{DefaultNode: NodeConfig{
		IP:              DefaultIP,
		PrivatePort:     DefaultPrivatePort,
		PublicPort:      DefaultPublicPort,
		GRPCPublicPort:  33037,
		GRPCPrivatePort: 33038,
	}}
}

// LoadConfig reads path over the defaults. A missing file is the defaults.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return Config{}, fmt.Errorf("%s: larger than %d bytes: %w", path, maxConfigSize, ErrConfig)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes TOML data (named name in errors) over the defaults and
// validates it.
func ParseConfig(name string, data []byte) (Config, error) {
	c := DefaultConfig()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, configDecodeError(name, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Validate checks the address and ports.
func (c Config) Validate() error {
	n := c.DefaultNode
	if net.ParseIP(n.IP) == nil {
		return fmt.Errorf("[default_node] ip %q is not an IP address: %w", n.IP, ErrConfig)
	}
	for _, p := range []struct {
		key string
		v   int
	}{{"private_port", n.PrivatePort}, {"public_port", n.PublicPort}, {"grpc_public_port", n.GRPCPublicPort}, {"grpc_private_port", n.GRPCPrivatePort}} {
		if p.v < 1 || p.v > 65535 {
			return fmt.Errorf("[default_node] %s = %d: want a port in 1..65535: %w", p.key, p.v, ErrConfig)
		}
	}
	if n.Token != "" && n.TokenFile != "" {
		return fmt.Errorf("[default_node] token and token_file are both set; keep one: %w", ErrConfig)
	}
	return nil
}

// configDecodeError names the file, line and key of each problem, and lists
// the keys a section takes when one is unknown.
func configDecodeError(name string, err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		errs := make([]error, 0, len(sm.Errors))
		for i := range sm.Errors {
			e := &sm.Errors[i]
			line, _ := e.Position()
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", name, line, unknownKeyMessage(e.Key()), ErrUnknownKey))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if key := []string(de.Key()); len(key) > 0 {
			return fmt.Errorf("%s:%d:%d: %s: %s: %w", name, line, col, keyName(key), msg, ErrConfig)
		}
		return fmt.Errorf("%s:%d:%d: %s: %w", name, line, col, msg, ErrConfig)
	}
	return fmt.Errorf("%s: %v: %w", name, err, ErrConfig)
}

func keyName(key []string) string {
	if len(key) == 1 {
		return key[0]
	}
	return "[" + strings.Join(key[:len(key)-1], ".") + "] " + key[len(key)-1]
}

// unknownKeyMessage says which key is unknown and what its section accepts.
func unknownKeyMessage(key []string) string {
	sections := configKeys()
	if len(key) == 1 {
		names := make([]string, 0, len(sections))
		for s := range sections {
			names = append(names, "["+s+"]")
		}
		sort.Strings(names)
		return fmt.Sprintf("unknown key or section %q (the client config has %s)", key[0], strings.Join(names, ", "))
	}
	if keys, ok := sections[key[0]]; ok && len(key) == 2 {
		return fmt.Sprintf("unknown key %s (section [%s] takes %s)", keyName(key), key[0], strings.Join(keys, ", "))
	}
	return "unknown key " + keyName(key)
}

// configKeys lists the keys of each section, from the struct tags.
func configKeys() map[string][]string {
	out := make(map[string][]string)
	ct := reflect.TypeFor[Config]()
	for i := range ct.NumField() {
		sf := ct.Field(i)
		sec := sf.Tag.Get("toml")
		var keys []string
		for j := range sf.Type.NumField() {
			keys = append(keys, sf.Type.Field(j).Tag.Get("toml"))
		}
		out[sec] = keys
	}
	return out
}
