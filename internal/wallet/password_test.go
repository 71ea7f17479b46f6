package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeTerminal answers prompts from a script.
type fakeTerminal struct {
	terminal bool
	answers  []string
	prompts  []string
}

func (f *fakeTerminal) isTerminal() bool { return f.terminal }

func (f *fakeTerminal) readPassword(prompt string) ([]byte, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) == 0 {
		return nil, errors.New("no more input")
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return []byte(a), nil
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestPasswordSources(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(file, []byte("from-file\r\nsecond line\n"), filePerm))
	emptyFile := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(emptyFile, []byte("\nx\n"), filePerm))
	vars := map[string]string{EnvClientPassword: "client-env", EnvPassword: "node-env", "EMPTY": ""}

	cases := []struct {
		name    string
		opts    PasswordOptions
		tty     *fakeTerminal
		want    string
		wantErr error
	}{
		{"flag first", PasswordOptions{Value: "flag", EnvVars: []string{EnvPassword}, File: file}, nil, "flag", nil},
		{"env in order", PasswordOptions{EnvVars: []string{"EMPTY", EnvClientPassword, EnvPassword}, File: file}, nil, "client-env", nil},
		{"node env", PasswordOptions{EnvVars: []string{EnvPassword}}, nil, "node-env", nil},
		{"file first line", PasswordOptions{EnvVars: []string{"UNSET"}, File: file}, nil, "from-file", nil},
		{"empty file line", PasswordOptions{File: emptyFile}, nil, "", ErrEmptyPassword},
		{"missing file", PasswordOptions{File: filepath.Join(dir, "nope")}, nil, "", os.ErrNotExist},
		{"prompt", PasswordOptions{}, &fakeTerminal{terminal: true, answers: []string{"typed"}}, "typed", nil},
		{"prompt empty then typed", PasswordOptions{}, &fakeTerminal{terminal: true, answers: []string{"", "typed"}}, "typed", nil},
		{"confirm", PasswordOptions{Confirm: true}, &fakeTerminal{terminal: true, answers: []string{"a", "a"}}, "a", nil},
		{"confirm mismatch then match", PasswordOptions{Confirm: true},
			&fakeTerminal{terminal: true, answers: []string{"a", "b", "c", "c"}}, "c", nil},
		{"confirm mismatch thrice", PasswordOptions{Confirm: true},
			&fakeTerminal{terminal: true, answers: []string{"a", "b", "a", "b", "a", "b"}}, "", ErrPasswordMismatch},
		{"no terminal", PasswordOptions{EnvVars: []string{EnvPassword + "_UNSET"}}, &fakeTerminal{}, "", ErrNoPassword},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.lookupEnv = env(vars)
			tty := c.tty
			if tty == nil {
				tty = &fakeTerminal{} // must not be reached
			}
			c.opts.tty = tty
			got, err := Password(c.opts)
			if c.wantErr != nil {
				require.ErrorIs(t, err, c.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, string(got))
		})
	}
}

func TestNoPasswordMessage(t *testing.T) {
	_, err := Password(PasswordOptions{
		EnvVars:      []string{EnvClientPassword, EnvPassword},
		FileFlagName: "--password-file",
		lookupEnv:    env(nil),
		tty:          &fakeTerminal{},
	})
	require.ErrorIs(t, err, ErrNoPassword)
	require.Equal(t, "no password given and no terminal to ask for it: pass -p/--pwd, or set the environment variable "+
		"MASSA_CLIENT_PASSWORD or MASSA_PASSWORD, or give a file holding it with --password-file", err.Error())
}

func TestPromptText(t *testing.T) {
	tty := &fakeTerminal{terminal: true, answers: []string{"x", "x"}}
	_, err := Password(PasswordOptions{Prompt: "Wallet password: ", Confirm: true, lookupEnv: env(nil), tty: tty})
	require.NoError(t, err)
	require.Equal(t, []string{"Wallet password: ", "Confirm password: "}, tty.prompts)
}
