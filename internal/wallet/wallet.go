package wallet

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Wallet is a directory of encrypted keys, loaded in memory. All methods are
// safe for concurrent use. Every change is written to disk before it is
// visible in memory; a failed write leaves both as they were.
type Wallet struct {
	dir   string
	cache *keyCache // holds the password; never printed
	rand  io.Reader // salts and nonces; crypto/rand outside tests

	mu   sync.RWMutex
	keys map[types.Address]*entry
}

// entry is one key and where it lives.
type entry struct {
	key   *crypto.SecretKey
	files []string // base names holding this key (normally one)
}

func newWallet(dir string, password []byte) *Wallet {
	return &Wallet{
		dir:   dir,
		cache: newKeyCache(password),
		rand:  rand.Reader,
		keys:  make(map[types.Address]*entry),
	}
}

// Exists reports whether the wallet directory exists, which is what decides
// between opening a wallet and creating one (and confirming its password).
func Exists(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("wallet %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("wallet %s: not a directory", dir)
	}
	return true, nil
}

// Open loads every .yaml/.yml file of dir with password. Files are decrypted
// in parallel (each costs a 600 000-round PBKDF2). If no file decrypts the
// error wraps ErrWrongPassword; any other problem names the file.
func Open(dir string, password []byte) (*Wallet, error) {
	ok, err := Exists(dir)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("wallet %s: %w", dir, ErrNoWallet)
	}
	w := newWallet(dir, password)
	if err := w.load(); err != nil {
		return nil, err
	}
	return w, nil
}

// Create makes an empty wallet in dir, creating the directory (0700) if it
// is absent. A directory that already holds wallet files is refused with
// ErrWalletExists rather than mixed with keys under another password.
func Create(dir string, password []byte) (*Wallet, error) {
	ok, err := Exists(dir)
	if err != nil {
		return nil, err
	}
	if ok {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("wallet %s: %w", dir, err)
		}
		for _, e := range ents {
			if isWalletFile(e.Name()) {
				return nil, fmt.Errorf("wallet %s: %w", dir, ErrWalletExists)
			}
		}
		return newWallet(dir, password), nil
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create wallet %s: %w", dir, err)
	}
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return nil, fmt.Errorf("create wallet %s: %w", dir, err)
	}
	return newWallet(dir, password), nil
}

// OpenOrCreate opens dir, or creates it when absent, as massa-client does.
// created tells the caller a new wallet was made.
func OpenOrCreate(dir string, password []byte) (w *Wallet, created bool, err error) {
	ok, err := Exists(dir)
	if err != nil {
		return nil, false, err
	}
	if ok {
		w, err = Open(dir, password)
		return w, false, err
	}
	w, err = Create(dir, password)
	return w, err == nil, err
}

// loadJob is one file on its way through load.
type loadJob struct {
	name string
	rec  *fileRecord
	key  *crypto.SecretKey
	err  error
}

func (w *Wallet) load() error {
	ents, err := os.ReadDir(w.dir) // sorted by name: errors and duplicates resolve deterministically
	if err != nil {
		return fmt.Errorf("wallet %s: %w", w.dir, err)
	}
	var jobs []*loadJob
	for _, e := range ents {
		if !isWalletFile(e.Name()) {
			continue
		}
		path := filepath.Join(w.dir, e.Name())
		data, err := readRegular(path, maxFileSize)
		if errors.Is(err, errNotRegular) {
			continue // a directory that happens to be named *.yaml
		}
		if err != nil {
			return fmt.Errorf("wallet file %s: %w", path, err)
		}
		rec, err := decodeFile(data)
		if err != nil {
			return fmt.Errorf("wallet file %s: %w", path, err)
		}
		jobs = append(jobs, &loadJob{name: e.Name(), rec: rec})
	}

	parallel(len(jobs), func(i int) {
		j := jobs[i]
		j.key, j.err = unseal(w.cache, j.rec)
	})

	// A file that decrypted but is wrong is a broken file whatever the rest
	// says. Only when nothing decrypted is the password to blame.
	decrypted := 0
	var authFailed *loadJob
	for _, j := range jobs {
		switch {
		case j.err == nil:
			decrypted++
		case errors.Is(j.err, errAuth):
			if authFailed == nil {
				authFailed = j
			}
		default:
			return fmt.Errorf("wallet file %s: %w", filepath.Join(w.dir, j.name), j.err)
		}
	}
	if authFailed != nil {
		if decrypted == 0 {
			return fmt.Errorf("%w for wallet %s", ErrWrongPassword, w.dir)
		}
		return fmt.Errorf("wallet file %s: %w: corrupted, or encrypted with another password than the other files",
			filepath.Join(w.dir, authFailed.name), ErrDecrypt)
	}

	for _, j := range jobs {
		addr := j.rec.Address
		e, ok := w.keys[addr]
		if !ok {
			w.keys[addr] = &entry{key: j.key, files: []string{j.name}}
			continue
		}
		e.files = append(e.files, j.name) // the same key in two files: both are its files
	}
	return nil
}

var errNotRegular = errors.New("not a regular file")

// readRegular reads a regular file of at most max bytes, checking the size
// before reading anything.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotRegular
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%d bytes, at most %d", fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than %d bytes", max)
	}
	return data, nil
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines and waits for them.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Add stores keys not yet in the wallet, each in a new wallet_<ADDRESS>.yaml
// with a fresh salt and nonce. Keys already present are skipped. If a write
// fails, the files this call wrote are removed and the wallet is unchanged.
func (w *Wallet) Add(keys ...*crypto.SecretKey) error {
	var todo []*crypto.SecretKey
	seen := make(map[types.Address]bool)
	w.mu.RLock()
	for _, k := range keys {
		if k == nil {
			w.mu.RUnlock()
			return fmt.Errorf("add to wallet %s: nil key", w.dir)
		}
		addr := types.AddressOf(k.Public())
		if _, ok := w.keys[addr]; ok || seen[addr] {
			continue
		}
		seen[addr] = true
		todo = append(todo, k)
	}
	w.mu.RUnlock()
	if len(todo) == 0 {
		return nil
	}

	// Seal outside the lock: the key derivation takes a fraction of a second
	// per key and readers (block production) must not wait for it.
	recs := make([]*fileRecord, len(todo))
	errs := make([]error, len(todo))
	salts := make([][saltSize]byte, len(todo))
	nonces := make([][nonceSize]byte, len(todo))
	for i := range todo {
		if _, err := io.ReadFull(w.rand, salts[i][:]); err != nil {
			return fmt.Errorf("add to wallet %s: salt: %w", w.dir, err)
		}
		if _, err := io.ReadFull(w.rand, nonces[i][:]); err != nil {
			return fmt.Errorf("add to wallet %s: nonce: %w", w.dir, err)
		}
	}
	parallel(len(todo), func(i int) {
		recs[i], errs[i] = sealKey(w.cache, todo[i], salts[i], nonces[i])
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("add to wallet %s: %w", w.dir, err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	var added []types.Address
	for i, k := range todo {
		rec := recs[i]
		if _, ok := w.keys[rec.Address]; ok {
			continue // another Add got there first
		}
		err := w.writeRecord(rec)
		if err != nil {
			for _, a := range added {
				_ = removeFile(filepath.Join(w.dir, fileName(a))) // best effort: the write error is reported
				delete(w.keys, a)
			}
			return fmt.Errorf("add %s to wallet %s: %w", rec.Address, w.dir, err)
		}
		w.keys[rec.Address] = &entry{key: k, files: []string{fileName(rec.Address)}}
		added = append(added, rec.Address)
	}
	return nil
}

func (w *Wallet) writeRecord(rec *fileRecord) error {
	data, err := rec.encode()
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(w.dir, fileName(rec.Address)), data)
}

// Remove deletes the keys of addrs and their files. Every address is checked
// first; if one is unknown, or its key also lives in a file a save does not
// manage (it would come back on the next load), nothing is removed.
func (w *Wallet) Remove(addrs ...types.Address) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range addrs {
		e, ok := w.keys[a]
		if !ok {
			return fmt.Errorf("remove %s from wallet %s: %w", a, w.dir, ErrUnknownAddress)
		}
		for _, name := range e.files {
			if !isManagedFile(name) {
				return fmt.Errorf("remove %s from wallet %s: %w: delete %s by hand",
					a, w.dir, ErrUnmanagedFile, filepath.Join(w.dir, name))
			}
		}
	}
	for _, a := range addrs {
		e, ok := w.keys[a]
		if !ok {
			continue // listed twice
		}
		for _, name := range e.files {
			if err := removeFile(filepath.Join(w.dir, name)); err != nil {
				return fmt.Errorf("remove %s from wallet %s: %w", a, w.dir, err)
			}
		}
		delete(w.keys, a)
	}
	return nil
}

// Get returns the key of addr.
func (w *Wallet) Get(addr types.Address) (*crypto.SecretKey, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	e, ok := w.keys[addr]
	if !ok {
		return nil, false
	}
	return e.key, true
}

// Addresses returns the wallet's addresses in address order.
func (w *Wallet) Addresses() []types.Address {
	w.mu.RLock()
	out := make([]types.Address, 0, len(w.keys))
	for a := range w.keys {
		out = append(out, a)
	}
	w.mu.RUnlock()
	slices.SortFunc(out, types.Address.Compare)
	return out
}

// Keys returns the wallet's keys sorted by address.
func (w *Wallet) Keys() []*crypto.SecretKey {
	w.mu.RLock()
	defer w.mu.RUnlock()
	addrs := make([]types.Address, 0, len(w.keys))
	for a := range w.keys {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, types.Address.Compare)
	out := make([]*crypto.SecretKey, len(addrs))
	for i, a := range addrs {
		out[i] = w.keys[a].key
	}
	return out
}

// Len returns the number of keys.
func (w *Wallet) Len() int {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return len(w.keys)
}

// Dir returns the wallet directory.
func (w *Wallet) Dir() string { return w.dir }

// String describes the wallet without any secret, so that %v of a Wallet
// (or of a struct holding one) never prints the password or keys.
func (w *Wallet) String() string {
	return fmt.Sprintf("wallet %s (%d keys)", w.dir, w.Len())
}

// GoString is String, for %#v.
func (w *Wallet) GoString() string { return w.String() }
