package client

import (
	"strings"
	"testing"
)

// quoteArg quotes an argument so that SplitArgs gives it back unchanged.
func quoteArg(a string) string {
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// FuzzSplitArgs: any line splits without panicking, and the arguments it
// gives, quoted and joined, split back to themselves.
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"", "get_status", `wallet_sign AU1 "hello world"`, `a 'b c' d\ e`, `"\"\\"`, "'", "\xff\"x\"", `a\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := SplitArgs(line)
		if err != nil {
			return
		}
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = quoteArg(a)
		}
		again, err := SplitArgs(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-split of %q: %v", quoted, err)
		}
		if len(again) != len(args) {
			t.Fatalf("%q -> %q -> %q", line, args, again)
		}
		for i := range args {
			if again[i] != args[i] {
				t.Fatalf("%q -> %q -> %q", line, args, again)
			}
		}
	})
}

// FuzzParseConfig: a config file never panics the loader, and what loads
// validates.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"", "[default_node]\nip = \"127.0.0.1\"\nprivate_port = 33034\n", "[display]\ntyped_prefixes = true\n",
		"[default_node]\nbogus = 1\n", "x = [", "[default_node]\nchain_id = 77\ntoken = \"t\"\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.toml", data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("loaded config does not validate: %v", err)
		}
	})
}

// FuzzEventFilter: key=value filters never panic the parser.
func FuzzEventFilter(f *testing.F) {
	for _, s := range []string{"start=1,2", "is_final=true", "emitter_address=AU1", "operation_id=O1", "end=", "=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		_, _ = parseEventFilter(strings.Fields(arg))
	})
}
