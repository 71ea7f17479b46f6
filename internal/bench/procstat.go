package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat. Linux fixes
// USER_HZ at 100 on every architecture Go supports, whatever the kernel's
// internal HZ, so it is not read from sysconf (which would need cgo).
const userHZ = 100

// maxProcFile bounds what is read of a /proc file: status and stat are a
// few KiB; anything bigger is not the file we expect.
const maxProcFile = 64 << 10

// ProcSample is one reading of a process's memory and CPU counters.
type ProcSample struct {
	PeakRSS int64         // VmHWM: the peak resident set size, bytes
	RSS     int64         // VmRSS: the current resident set size, bytes
	CPU     time.Duration // utime + stime: CPU time used so far
}

// ReadProc reads the counters of process pid from /proc.
func ReadProc(pid int) (ProcSample, error) {
	status, err := readSmall(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcSample{}, err
	}
	stat, err := readSmall(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, err
	}
	var s ProcSample
	if s.PeakRSS, s.RSS, err = ParseStatus(status); err != nil {
		return ProcSample{}, err
	}
	if s.CPU, err = ParseStat(stat); err != nil {
		return ProcSample{}, err
	}
	return s, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, maxProcFile+1)
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	if n > maxProcFile {
		return nil, fmt.Errorf("%s: more than %d bytes: %w", path, maxProcFile, ErrProcFormat)
	}
	return buf[:n], nil
}

// ParseStatus reads VmHWM and VmRSS (in bytes) from the text of
// /proc/<pid>/status, where they are written "VmHWM:\t  123456 kB".
func ParseStatus(b []byte) (peak, rss int64, err error) {
	var havePeak, haveRSS bool
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmHWM":
			dst, havePeak = &peak, true
		case "VmRSS":
			dst, haveRSS = &rss, true
		default:
			continue
		}
		f := bytes.Fields(val)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, 0, fmt.Errorf("status %s: %q: %w", key, clipBytes(val), ErrProcFormat)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return 0, 0, fmt.Errorf("status %s: %q: %w", key, clipBytes(val), ErrProcFormat)
		}
		*dst = kb << 10
	}
	if !havePeak || !haveRSS {
		return 0, 0, fmt.Errorf("status: VmHWM or VmRSS missing: %w", ErrProcFormat)
	}
	return peak, rss, nil
}

// ParseStat reads utime + stime from the text of /proc/<pid>/stat. The
// command name (field 2) is in parentheses and may itself hold spaces and
// parentheses, so fields are counted from the last ')'.
func ParseStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name: %w", ErrProcFormat)
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name: %w", len(f), ErrProcFormat)
	}
	var ticks uint64
	for _, s := range f[11:13] {
		v, err := strconv.ParseUint(string(s), 10, 64)
		// 2^36 ticks (about 21 years of CPU at 100 Hz) keeps the sum in a Duration.
		if err != nil || v > 1<<36 {
			return 0, fmt.Errorf("stat: CPU ticks %q: %w", clipBytes(s), ErrProcFormat)
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

func clipBytes(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
