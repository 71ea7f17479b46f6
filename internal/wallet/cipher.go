package wallet

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"fmt"
	"sync"
)

// massa-cipher parameters. They are part of the file format: changing any of
// them makes wallets unreadable by Massa and Massa's wallets unreadable here.
const (
	saltSize  = 16
	nonceSize = 12
	keySize   = 32 // AES-256
	tagSize   = 16 // GCM tag appended to the ciphertext
)

// kdfIterations is massa-cipher's PBKDF2 round count. It is a variable only so
// tests can lower it; one test keeps the real value to prove compatibility.
var kdfIterations = 600_000

// deriveKey runs PBKDF2-HMAC-SHA256 over the password with the raw salt bytes
// (massa-cipher base64-encodes the salt only to satisfy an API and the pbkdf2
// crate decodes it back before hashing).
func deriveKey(password []byte, salt [saltSize]byte) ([keySize]byte, error) {
	var out [keySize]byte
	k, err := pbkdf2.Key(sha256.New, string(password), salt[:], kdfIterations, keySize)
	if err != nil {
		return out, fmt.Errorf("derive key: %w", err)
	}
	copy(out[:], k)
	clear(k)
	return out, nil
}

func newGCM(key [keySize]byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block) // 12-byte nonce, 16-byte tag: massa-cipher's sizes
}

// seal returns ciphertext || tag, with no associated data.
func seal(key [keySize]byte, nonce [nonceSize]byte, plaintext []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return aead.Seal(nil, nonce[:], plaintext, nil), nil
}

// open authenticates and decrypts ciphertext || tag. A failure means a wrong
// key or altered data; GCM cannot tell which.
func open(key [keySize]byte, nonce [nonceSize]byte, sealed []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, nonce[:], sealed, nil)
}

// keyCache remembers the PBKDF2 output per salt for one password, so that
// rewriting a file that keeps its salt, or loading two files that share one,
// costs no second derivation. It lives as long as the Wallet, which holds the
// password anyway.
type keyCache struct {
	password []byte
	mu       sync.Mutex
	keys     map[[saltSize]byte][keySize]byte
}

func newKeyCache(password []byte) *keyCache {
	return &keyCache{
		password: append([]byte(nil), password...),
		keys:     make(map[[saltSize]byte][keySize]byte),
	}
}

// get returns the derived key of salt, deriving it outside the lock so that
// several files derive in parallel.
func (c *keyCache) get(salt [saltSize]byte) ([keySize]byte, error) {
	c.mu.Lock()
	k, ok := c.keys[salt]
	c.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := deriveKey(c.password, salt)
	if err != nil {
		return k, err
	}
	c.mu.Lock()
	c.keys[salt] = k
	c.mu.Unlock()
	return k, nil
}
