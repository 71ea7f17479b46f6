package crypto

import (
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// verifyOptions is the one verification rule of gomassa, used by single and
// batch verification alike so that they can never disagree: ZIP-215
// (cofactored equation, small-order and non-canonical encodings of A and R
// accepted, S must be canonical). See spec/DECISIONS.md.
var verifyOptions = &voi.Options{Verify: voi.VerifyOptionsZIP_215}

// Verify checks sig over a 32-byte digest with pub.
func Verify(pub PublicKey, digest Hash, sig Signature) bool {
	return voi.VerifyWithOptions(voi.PublicKey(pub[:]), digest[:], sig[:], verifyOptions)
}
