// Package testnode starts real massa-node processes for end-to-end tests:
// it builds the binary once per test binary, gives each node a fresh home
// whose every listener is on 127.0.0.1 port 0, and reads the bound API
// addresses from the node's log.
package testnode

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Binary builds cmd/massa-node (once) and returns its path.
func Binary(t testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gomassa-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "massa-node")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/massa-node")
		cmd.Dir = ModuleRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Config is a config.toml that puts every listener on a free loopback port.
const Config = `[api]
bind_public = "127.0.0.1:0"
bind_private = "127.0.0.1:0"
bind_api = "127.0.0.1:0"

[network]
bind = "127.0.0.1:0"

[bootstrap]
bind = ""

[metrics]
enabled = false
`

// Node is a running massa-node process.
type Node struct {
	Home       string
	PublicURL  string
	PrivateURL string
	cmd        *exec.Cmd
	logMu      sync.Mutex
	log        strings.Builder
	done       chan struct{}
	waitErr    error
}

var apiRe = regexp.MustCompile(`public_api=(\S+) private_api=(\S+)`)

// Start runs massa-node with home (created with Config if it has no
// config.toml) and extra arguments, and waits until its API listens.
func Start(t testing.TB, home string, args ...string) *Node {
	t.Helper()
	bin := Binary(t)
	cfgPath := filepath.Join(home, "config", "config.toml")
	if _, err := os.Stat(cfgPath); err != nil {
		if err := os.MkdirAll(filepath.Dir(cfgPath), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cfgPath, []byte(Config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n := &Node{Home: home, done: make(chan struct{})}
	n.cmd = exec.Command(bin, append([]string{"--home", home}, args...)...)
	pr, pw := io.Pipe()
	n.cmd.Stdout, n.cmd.Stderr = pw, pw
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			n.logMu.Lock()
			n.log.WriteString(line + "\n")
			n.logMu.Unlock()
			if m := apiRe.FindStringSubmatch(line); m != nil && !sent {
				ready <- [2]string{m[1], m[2]}
				sent = true
			}
		}
	}()
	go func() {
		n.waitErr = n.cmd.Wait()
		pw.Close()
		close(n.done)
	}()
	select {
	case addrs := <-ready:
		n.PublicURL = "http://" + addrs[0]
		n.PrivateURL = "http://" + addrs[1]
	case <-n.done:
		t.Fatalf("massa-node exited before serving its API: %v\n%s", n.waitErr, n.Log())
	case <-time.After(60 * time.Second):
		n.Kill()
		t.Fatalf("massa-node did not serve its API within 60 s\n%s", n.Log())
	}
	return n
}

// Log returns what the node printed so far.
func (n *Node) Log() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// Stop sends SIGINT and waits for a clean exit.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	_ = n.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-n.done:
		if n.waitErr != nil {
			t.Errorf("massa-node exited with %v\n%s", n.waitErr, tail(n.Log(), 40))
		}
	case <-time.After(30 * time.Second):
		n.Kill()
		t.Errorf("massa-node did not stop within 30 s of SIGINT")
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (n *Node) Kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// Done is closed when the process has exited.
func (n *Node) Done() <-chan struct{} { return n.done }

// WaitLog waits until the log contains s.
func (n *Node) WaitLog(ctx context.Context, s string) bool {
	for {
		if strings.Contains(n.Log(), s) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// Tail returns the last lines of the log.
func (n *Node) Tail(lines int) string { return tail(n.Log(), lines) }
