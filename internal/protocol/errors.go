package protocol

import "errors"

// Sentinel errors. Decoders and the handshake wrap them with what failed
// ("hello: version: ...: malformed message"); test them with errors.Is.
var (
	// ErrMalformed is any byte-level decoding failure of outside data:
	// truncated input, bad varint, out-of-range count, trailing bytes.
	ErrMalformed = errors.New("malformed message")
	// ErrFrameTooLarge is a frame whose announced length exceeds the
	// frame limit or the limit of its message type.
	ErrFrameTooLarge = errors.New("frame too large")
	// ErrUnknownMessage is a message id outside the catalogue.
	ErrUnknownMessage = errors.New("unknown message type")
	// ErrIncompatibleVersion is a peer running another network or major
	// version.
	ErrIncompatibleVersion = errors.New("incompatible version")
	// ErrBadSignature is a signature that does not verify: a handshake
	// announcement or challenge, or a relayed object.
	ErrBadSignature = errors.New("invalid signature")
	// ErrBanned is a peer (id or IP) the node has banned.
	ErrBanned = errors.New("banned")
	// ErrRefused is a peer that answered "no slot for you" (id byte 1).
	ErrRefused = errors.New("peer has no connection slot for us")
	// ErrSelfConnection is a connection to our own node id.
	ErrSelfConnection = errors.New("connection to self")
	// ErrUnexpectedPeer is an outgoing connection answered by another node
	// id than the one configured for that address.
	ErrUnexpectedPeer = errors.New("unexpected node id")
	// ErrInvalidData is a protocol violation by a connected peer with
	// well-formed bytes: an operation list that does not match the merkle
	// root, a block over the size limit, an unrequested operation.
	ErrInvalidData = errors.New("invalid data")
	// ErrSendQueueFull is a peer that does not read fast enough.
	ErrSendQueueFull = errors.New("send queue full")
	// ErrConfig is an invalid configuration.
	ErrConfig = errors.New("invalid protocol configuration")
	// ErrPeerBook is an unreadable peer book file.
	ErrPeerBook = errors.New("invalid peer book")
	// ErrInitialPeers is an unreadable initial peers file.
	ErrInitialPeers = errors.New("invalid initial peers")
	// ErrNotRunning is a call that needs a started service.
	ErrNotRunning = errors.New("protocol service not running")
)
