package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomassa/gomassa/internal/config"
	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Sandbox defaults: enough coins and rolls for a developer to try every
// operation, on Massa's sandbox chain id.
const (
	sandboxBalance = 1_000_000 * types.OneMAS
	sandboxRolls   = 100
	// sandboxLeadMS: the first slot that gets a block (period 1, thread 0)
	// starts this long after the first start. Genesis (period 0, whose
	// blocks are the fixed genesis blocks) is placed t0 earlier, so that
	// every thread has final blocks within a minute.
	sandboxLeadMS    = 2_000
	sandboxDirName   = "sandbox"
	sandboxKeyFile   = "secret_key"
	sandboxGenesis   = "genesis.json"
	stakingPassFile  = "staking_password"
	apiTokenFileName = "api_token"
)

// sandboxGenesisFile is what <home>/sandbox/genesis.json holds, in the
// format config.ParseGenesis reads.
type sandboxGenesisFile struct {
	Params        map[string]any            `json:"params"`
	InitialLedger map[string]map[string]any `json:"initial_ledger"`
	InitialRolls  map[string]uint64         `json:"initial_rolls"`
}

// prepareSandbox returns the genesis of the home's sandbox chain, creating
// it (and its staking key) at first start. It never prompts. walletDir is
// the staking wallet, whose password lives in the sandbox directory: a new
// sandbox chain needs it deleted too, as well as the chain's storage.
func prepareSandbox(home, walletDir, givenKey string, nowMS uint64, out io.Writer) (*config.Genesis, *crypto.SecretKey, error) {
	dir := filepath.Join(home, sandboxDirName)
	startOver := fmt.Sprintf("delete %s, %s and %s to start a new sandbox chain", dir, filepath.Join(home, "storage"), walletDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	keyPath := filepath.Join(dir, sandboxKeyFile)
	genPath := filepath.Join(dir, sandboxGenesis)

	var key *crypto.SecretKey
	if givenKey != "" {
		k, err := crypto.ParseSecretKey(strings.TrimSpace(givenKey))
		if err != nil {
			return nil, nil, fmt.Errorf("--sandbox-secret-key: %w", err)
		}
		key = k
	}
	existing, err := os.ReadFile(keyPath)
	switch {
	case err == nil:
		k, perr := crypto.ParseSecretKey(strings.TrimSpace(string(existing)))
		if perr != nil {
			return nil, nil, fmt.Errorf("%s is corrupt (%v): restore it, or %s", keyPath, perr, startOver)
		}
		if key != nil && key.String() != k.String() {
			return nil, nil, fmt.Errorf("this home already runs a sandbox chain staked by %s; --sandbox-secret-key gives %s: use another --home, or %s",
				types.AddressOf(k.Public()), types.AddressOf(key.Public()), startOver)
		}
		key = k
	case errors.Is(err, fs.ErrNotExist):
		if key == nil {
			if key, err = crypto.GenerateKey(rand.Reader); err != nil {
				return nil, nil, err
			}
		}
		if err := writeFileAtomic(keyPath, []byte(key.String()+"\n"), 0o600); err != nil {
			return nil, nil, err
		}
		if givenKey == "" {
			fmt.Fprintf(out, "\nSandbox staking key created and saved to %s:\n  secret key: %s\n  address:    %s\n"+
				"WARNING: sandbox coins are worthless; never use this key on a real network.\n\n",
				keyPath, key, types.AddressOf(key.Public()))
		}
	default:
		return nil, nil, fmt.Errorf("cannot read %s: %w", keyPath, err)
	}

	data, err := os.ReadFile(genPath)
	if errors.Is(err, fs.ErrNotExist) {
		addr := types.AddressOf(key.Public()).String()
		gf := sandboxGenesisFile{
			Params: map[string]any{
				"genesis_timestamp": nowMS + sandboxLeadMS - config.MainnetParams().T0,
				"chain_id":          config.ChainIDSandbox,
				"network_prefix":    "SAND",
			},
			InitialLedger: map[string]map[string]any{addr: {"balance": sandboxBalance.String()}},
			InitialRolls:  map[string]uint64{addr: sandboxRolls},
		}
		data, err = json.MarshalIndent(gf, "", "  ")
		if err != nil {
			return nil, nil, err
		}
		if err := writeFileAtomic(genPath, data, 0o644); err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s: %w", genPath, err)
	}
	g, err := config.ParseGenesis(genPath, data, config.SandboxParams(0))
	if err != nil {
		return nil, nil, fmt.Errorf("%w (restore it, or %s)", err, startOver)
	}
	return g, key, nil
}

// loadOrCreateToken returns the private API token, creating it at first start.
func loadOrCreateToken(home string) (string, error) {
	path := filepath.Join(home, "config", apiTokenFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 {
			return "", fmt.Errorf("%s is too short to be a token: delete it and restart the node to create a new one", path)
		}
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cannot read the private API token %s: %w", path, err)
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	if err := writeFileAtomic(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	return tok, nil
}

// stakingPassword returns the password that protects the staking wallet of
// a sandbox (generated and kept beside the sandbox key, which is itself in
// clear: a sandbox must never wait for input).
func sandboxStakingPassword(home string) ([]byte, error) {
	path := filepath.Join(home, sandboxDirName, stakingPassFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	pw := hex.EncodeToString(raw[:])
	if err := writeFileAtomic(path, []byte(pw+"\n"), 0o600); err != nil {
		return nil, err
	}
	return []byte(pw), nil
}

// writeFileAtomic writes to a temporary file, syncs and renames, so a crash
// leaves either the old file or the new one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
