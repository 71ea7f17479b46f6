// Package crypto holds the cryptographic primitives of gomassa: Ed25519 key
// pairs and signatures in Massa's versioned binary and text forms, BLAKE3
// hashing, base58check, and signature verification that runs in parallel and
// in batches.
//
// Everything Massa signs is a 32-byte BLAKE3 digest, never the raw message;
// callers hash first. Every text and binary form carries a varint version
// (currently 0) in front of the raw bytes, as Massa's serializers do.
//
// Verification has one rule, ZIP-215 (see spec/DECISIONS.md), applied by
// Verify for one signature and by VerifyBatch, VerifyBatchAll and
// BatchVerifier for many: a signature is accepted by a batch exactly when
// Verify accepts it, whatever else shares the batch and however the work is
// split. BatchVerifier adds a bounded cache of expanded public keys; the node
// builds one and hands it to the components that verify in volume.
//
// The package depends on nothing else in gomassa. types builds addresses and
// ids on top of it; wallet stores its keys; every component that checks a
// signature goes through Verify or a BatchVerifier.
package crypto
