// Package types defines the data of the Massa protocol — amounts, slots,
// addresses, ids, operations, endorsements, block headers, denunciations and
// blocks — with their binary codecs (byte-exact with Massa's serializers)
// and the JSON forms Massa's API uses.
//
// Every decoder here reads outside bytes: it checks lengths against the
// protocol's limits before allocating, rejects non-minimal varints and
// trailing bytes, and returns an error naming the field that failed
// ("block header: endorsements count: too large: 17 > 16"). Operations
// decode without parameters; endorsements, headers and blocks take the
// network's CodecParams (DefaultCodecParams for mainnet).
//
// Signed objects keep the exact content bytes their id was hashed over, so
// an object received from a peer keeps the id its creator computed even in
// the rare encodings that do not re-encode identically (see the fuzz tests).
//
// Display renders keys, addresses and ids for humans, optionally with the
// typed prefixes "ADR-", "OPE-", …; JSON and binary forms never carry them.
//
// The package depends on crypto only; every other component builds on it.
package types
