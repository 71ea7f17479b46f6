// Package protocoltest provides fakes and builders for tests of the P2P
// layer and of what sits on it (node, sim): an in-memory Handler that
// records what it receives, a fast test configuration on 127.0.0.1:0, and
// builders of signed operations, endorsements and blocks.
package protocoltest
