package wallet

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

const (
	filePerm = 0o600
	dirPerm  = 0o700
)

// beforeRename, when set (tests only), runs after the temporary file is
// written and synced and before it replaces the target: returning an error
// there simulates a crash in the middle of a save.
var beforeRename func(tmp string) error

// writeFileAtomic replaces path with data so that a crash leaves either the
// old file or the new one, never a mix: write a temporary file in the same
// directory, fsync it, rename it over path, fsync the directory. The
// temporary name does not end in .yaml/.yml, so a leftover is never read as
// a wallet file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, ".tmp-"+base+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close() // may already be closed; the write error is what matters
			_ = os.Remove(tmp)
		}
	}()
	// CreateTemp already uses 0600; Chmod guards against platforms that differ.
	if err := f.Chmod(filePerm); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if beforeRename != nil {
		if err := beforeRename(tmp); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

// removeFile deletes path (already gone is fine) and syncs its directory.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or unlink in dir durable. Windows cannot fsync a
// directory and does not need it for NTFS metadata.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
