// Package wallet stores secret keys on disk: the encrypted key directories of
// massa-client (the user's wallet) and of the node (config/staking_wallets),
// and the node's plaintext identity key (config/node_privkey.key).
//
// A wallet is a directory holding one YAML file per key, wallet_<ADDRESS>.yaml,
// byte-compatible with Massa's massa-wallet and massa-cipher: the 33-byte
// versioned secret key is sealed with AES-256-GCM under a key derived from the
// password by PBKDF2-HMAC-SHA256 (600 000 iterations), each file with its own
// random 16-byte salt and 12-byte nonce. A wallet written by one implementation
// opens in the other.
//
// The package owns those files: every write goes to a temporary file that is
// synced and renamed over the target, so a crash never leaves a half-written
// key. A Wallet is safe for concurrent use, since the node adds and removes
// staking keys while it runs. Nothing here logs, and no error message carries
// secret material.
//
// Callers: the client (wallet commands, operation signing), the node's staking
// key store, and node start-up (identity key, password prompt through
// Password).
package wallet
