// Package types defines the data of the Massa protocol — amounts, slots,
// addresses, ids, operations, endorsements, block headers and blocks — with
// their binary codecs (byte-exact with Massa's serializers) and the JSON
// forms Massa's API uses.
//
// Every decoder here reads outside bytes: it checks lengths against the
// protocol's limits before allocating, rejects non-minimal varints and
// trailing bytes, and returns an error naming the field that failed. The
// package depends on crypto only; every other component builds on it.
package types
