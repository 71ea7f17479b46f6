package config

import (
	"fmt"
	"io"

	toml "github.com/pelletier/go-toml/v2"
)

// Dump writes the effective configuration as TOML, every key included,
// for `massa-node config dump`. Reading the output back with Parse gives
// the same Config.
func Dump(w io.Writer, c *Config) error {
	if _, err := fmt.Fprintf(w, "# gomassa node configuration (effective values)\n# home: %q\n# file: %q\n# durations are in milliseconds; relative paths are taken from home\n\n", c.Home, c.File); err != nil {
		return err
	}
	enc := toml.NewEncoder(w)
	enc.SetIndentTables(false)
	return enc.Encode(c)
}
