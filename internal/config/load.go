package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
)

// fileConfig is what config.toml decodes into: the Config tree plus
// Massa's [protocol], an alias of [network] merged after decoding.
type fileConfig struct {
	Config
	Protocol NetworkConfig `toml:"protocol"`
}

const (
	sectionNetwork  = "network"
	sectionProtocol = "protocol"
)

// Load reads <home>/config/config.toml over the defaults and validates the
// result. A missing file means the defaults.
func Load(home string) (*Config, error) {
	path := FilePath(home)
	data, err := readFile(path, maxConfigFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		c := Default()
		c.Home, c.File = home, path
		if err := c.Validate(); err != nil {
			return nil, prefixEach(path, err)
		}
		return &c, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(home, path, data)
}

// LoadFile reads an explicitly named config file (which must exist) over
// the defaults, for a home directory, and validates the result.
func LoadFile(home, path string) (*Config, error) {
	data, err := readFile(path, maxConfigFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(home, path, data)
}

// Parse decodes TOML data, named name in errors, over the defaults; merges
// [protocol] into [network]; applies [network] ipv6; and validates.
func Parse(home, name string, data []byte) (*Config, error) {
	if len(data) > maxConfigFileSize {
		return nil, errorf("%s: %d bytes, more than %d: %w", name, len(data), maxConfigFileSize, ErrTooLarge)
	}
	fc := fileConfig{Config: Default()}
	fc.Protocol = fc.Network
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return nil, decodeError(name, data, err)
	}
	// The strict decode succeeded, so the generic one does too; it tells
	// which keys the file actually sets, which the typed tree cannot.
	var present map[string]any
	if err := toml.Unmarshal(data, &present); err != nil {
		return nil, errorf("%s: %v: %w", name, err, ErrMalformed)
	}
	if err := mergeProtocol(name, &fc, present); err != nil {
		return nil, err
	}
	c := fc.Config
	c.Home, c.File = home, name
	c.ApplyIPv6()
	if err := c.Validate(); err != nil {
		return nil, prefixEach(name, err)
	}
	return &c, nil
}

// mergeProtocol copies every key set under [protocol] into [network]. A key
// set in both sections to different values is an error: neither can win
// silently.
func mergeProtocol(name string, fc *fileConfig, present map[string]any) error {
	proto, _ := present[sectionProtocol].(map[string]any)
	if len(proto) == 0 {
		return nil
	}
	netKeys, _ := present[sectionNetwork].(map[string]any)
	nv := reflect.ValueOf(&fc.Network).Elem()
	pv := reflect.ValueOf(&fc.Protocol).Elem()
	fields := tomlFields(nv.Type())
	for key := range proto {
		i, ok := fields[key]
		if !ok { // unreachable: the strict decode checked every key
			continue
		}
		if _, both := netKeys[key]; both && !reflect.DeepEqual(nv.Field(i).Interface(), pv.Field(i).Interface()) {
			return errorf("%s: [network] %s and [protocol] %s are both set, to different values; [protocol] is Massa's name for [network], keep one: %w",
				name, key, key, ErrConflict)
		}
		nv.Field(i).Set(pv.Field(i))
	}
	return nil
}

// ApplyIPv6 applies [network] ipv6 = false: every "[::]" bind becomes
// "0.0.0.0" and bootstrap uses IPv4 servers only. Load calls it; code that
// builds a Config by hand calls it before Validate.
func (c *Config) ApplyIPv6() {
	if c.Network.IPv6 {
		return
	}
	for _, p := range []*string{&c.Network.Bind, &c.Bootstrap.Bind, &c.API.BindPrivate, &c.API.BindPublic, &c.API.BindAPI, &c.Metrics.Bind} {
		if ip, port, err := ParseBind(*p); err == nil && ip.Is6() && ip.IsUnspecified() {
			*p = fmt.Sprintf("0.0.0.0:%d", port)
		}
	}
	if c.Bootstrap.BootstrapProtocol == bootstrapProtocolBoth {
		c.Bootstrap.BootstrapProtocol = bootstrapProtocolIPv4
	}
}

// decodeError turns go-toml's errors into one line per problem naming the
// file, the line and the key, with a suggestion for unknown keys.
func decodeError(name string, data []byte, err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		errs := make([]error, 0, len(sm.Errors))
		for i := range sm.Errors {
			e := &sm.Errors[i]
			line, _ := e.Position()
			errs = append(errs, errorf("%s:%d: %s: %w", name, line, unknownKeyMessage(e.Key(), strings.Contains(e.Error(), "missing table")), ErrUnknownKey))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if key := []string(de.Key()); len(key) > 0 && !strings.Contains(msg, "already defined") {
			// go-toml's type errors name Go types; say what the key takes.
			if want := describeKeyType(key); want != "" {
				switch {
				case strings.HasPrefix(msg, "cannot decode TOML "):
					got := strings.Fields(strings.TrimPrefix(msg, "cannot decode TOML "))
					msg = fmt.Sprintf("wrong type: got a TOML %s, want %s", got[0], want)
				case strings.Contains(msg, "cannot be stored in"):
					msg = "out of range: want " + want
				}
			}
			return errorf("%s:%d:%d: %s: %s: %w", name, line, col, keyName(key), msg, ErrInvalid)
		}
		return errorf("%s:%d:%d: %s: %w", name, line, col, msg, ErrMalformed)
	}
	// A TextUnmarshaler fed a bare TOML number fails without a position;
	// find the key by re-checking the amount keys.
	if key := badAmountKey(data); key != "" {
		return errorf("%s: %s: %v: %w", name, key, err, ErrInvalid)
	}
	return errorf("%s: %v: %w", name, err, ErrMalformed)
}

// badAmountKey returns the first Amount key of the document whose value
// does not parse as an amount, or "".
func badAmountKey(data []byte) string {
	var doc map[string]any
	if toml.Unmarshal(data, &doc) != nil {
		return ""
	}
	secs := sectionTypes()
	names := make([]string, 0, len(secs))
	for n := range secs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, sec := range names {
		st := secs[sec]
		table, _ := doc[sec].(map[string]any)
		if st.Kind() != reflect.Struct || table == nil {
			continue
		}
		for key, i := range tomlFields(st) {
			v, ok := table[key]
			if !ok || st.Field(i).Type != reflect.TypeFor[Amount]() {
				continue
			}
			var text string
			switch x := v.(type) {
			case string:
				text = x
			case int64:
				text = strconv.FormatInt(x, 10)
			case float64:
				text = strconv.FormatFloat(x, 'f', -1, 64)
			}
			var a Amount
			if a.UnmarshalText([]byte(text)) != nil {
				return keyName([]string{sec, key})
			}
		}
	}
	return ""
}

// keyName prints a key path as an operator writes it: "[api] bind_public".
func keyName(key []string) string {
	if len(key) == 1 {
		return key[0]
	}
	return "[" + strings.Join(key[:len(key)-1], ".") + "] " + key[len(key)-1]
}

// unknownKeyMessage names an unknown key or table and suggests the nearest
// known one.
func unknownKeyMessage(key []string, table bool) string {
	dotted := strings.Join(key, ".")
	var msg string
	if table {
		msg = fmt.Sprintf("unknown section [%s]", dotted)
	} else {
		msg = fmt.Sprintf("unknown key %q", dotted)
	}
	if s := suggestKey(key); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// readFile reads a whole file of at most max bytes.
func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, errorf("%s: more than %d bytes: %w", path, max, ErrTooLarge)
	}
	return data, nil
}
