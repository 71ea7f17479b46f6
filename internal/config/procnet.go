package config

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// findPortOwner looks for the process listening on TCP port: the socket
// inodes in LISTEN state come from <proc>/net/tcp and tcp6, their owner
// from the <proc>/<pid>/fd links. Best effort: processes of other users
// are unreadable and other systems have no /proc; then ok is false.
func findPortOwner(proc string, port uint16) (pid int, name string, ok bool) {
	inodes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		fh, err := os.Open(filepath.Join(proc, f))
		if err != nil {
			continue
		}
		for _, ino := range listeningInodes(fh, port) {
			inodes[ino] = true
		}
		fh.Close()
	}
	if len(inodes) == 0 {
		return 0, "", false
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return 0, "", false
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p <= 0 {
			continue
		}
		fdDir := filepath.Join(proc, e.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") || !strings.HasSuffix(link, "]") {
				continue
			}
			if inodes[link[len("socket:["):len(link)-1]] {
				comm, _ := os.ReadFile(filepath.Join(proc, e.Name(), "comm"))
				name := strings.TrimSpace(string(comm))
				if name == "" {
					name = "process"
				}
				return p, name, true
			}
		}
	}
	return 0, "", false
}

// listeningInodes parses a /proc/net/tcp{,6} table and returns the inodes
// of sockets in LISTEN state (st 0A) on port. Lines look like
//
//	sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
//	0: 00000000:7A6C 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 12345 ...
func listeningInodes(r io.Reader, port uint16) []string {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	first := true
	for sc.Scan() {
		if first { // header line
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		i := strings.LastIndexByte(f[1], ':')
		if i < 0 {
			continue
		}
		p, err := strconv.ParseUint(f[1][i+1:], 16, 16)
		if err != nil || uint16(p) != port || f[9] == "0" {
			continue
		}
		out = append(out, f[9])
	}
	return out
}
