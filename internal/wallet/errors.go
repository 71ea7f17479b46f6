package wallet

import "errors"

// Sentinel errors; functions wrap them with the path that failed.
var (
	// ErrWrongPassword: no file of the wallet decrypts with the password.
	ErrWrongPassword = errors.New("wrong password")
	// ErrDecrypt: one file does not decrypt although others do (corrupt,
	// or sealed with another password).
	ErrDecrypt = errors.New("cannot decrypt")
	// ErrBadFile: a wallet file is not a valid Massa wallet file.
	ErrBadFile = errors.New("invalid wallet file")
	// ErrAddressMismatch: the decrypted key does not belong to the file's Address.
	ErrAddressMismatch = errors.New("key does not match the address in the file")
	// ErrNoWallet: the wallet directory does not exist.
	ErrNoWallet = errors.New("wallet not found")
	// ErrWalletExists: Create was asked for a directory that already holds key files.
	ErrWalletExists = errors.New("wallet already exists")
	// ErrUnknownAddress: Remove was given an address the wallet does not hold.
	ErrUnknownAddress = errors.New("address not in wallet")
	// ErrUnmanagedFile: a key lives in a file the wallet does not manage
	// (not wallet_<ADDRESS>.yaml), so removing it would not last.
	ErrUnmanagedFile = errors.New("key stored in a file not named wallet_<ADDRESS>.yaml")
	// ErrNodeKey: the node identity key file is unreadable or corrupt.
	ErrNodeKey = errors.New("bad node key file")
	// ErrNoPassword: no password source was given and there is no terminal.
	ErrNoPassword = errors.New("no password given")
	// ErrPasswordMismatch: the confirmation typed differs from the password.
	ErrPasswordMismatch = errors.New("passwords do not match")
	// ErrEmptyPassword: an empty password was given where one is required.
	ErrEmptyPassword = errors.New("empty password")
)
