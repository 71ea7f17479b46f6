package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gomassa/gomassa/internal/crypto"
	"github.com/gomassa/gomassa/internal/types"
)

// Message ids (spec §8.3): a u64 varint family id, then a u64 varint id
// within the family, then the body.
const (
	familyBlock          = 0
	familyEndorsement    = 1
	familyOperation      = 2
	familyPeerManagement = 3

	blockHeader       = 0
	blockDataRequest  = 1
	blockDataResponse = 2

	endorsementList = 0

	opAnnouncement = 0
	opAsk          = 1
	opList         = 2

	peerNewConnected = 0
	peerList         = 1
)

// Kind names a message type of the catalogue.
type Kind uint8

// The message kinds.
const (
	KindHeader Kind = iota
	KindBlockDataRequest
	KindBlockDataResponse
	KindEndorsements
	KindOperationsAnnouncement
	KindAskForOperations
	KindOperations
	KindNewPeerConnected
	KindListPeers
	kindCount
)

var kindNames = [kindCount]string{
	"Header", "BlockDataRequest", "BlockDataResponse", "Endorsements",
	"OperationsAnnouncement", "AskForOperations", "Operations",
	"NewPeerConnected", "ListPeers",
}

// String names the kind.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// kindOf maps wire ids to a kind.
func kindOf(family, id uint64) (Kind, bool) {
	switch family {
	case familyBlock:
		switch id {
		case blockHeader:
			return KindHeader, true
		case blockDataRequest:
			return KindBlockDataRequest, true
		case blockDataResponse:
			return KindBlockDataResponse, true
		}
	case familyEndorsement:
		if id == endorsementList {
			return KindEndorsements, true
		}
	case familyOperation:
		switch id {
		case opAnnouncement:
			return KindOperationsAnnouncement, true
		case opAsk:
			return KindAskForOperations, true
		case opList:
			return KindOperations, true
		}
	case familyPeerManagement:
		switch id {
		case peerNewConnected:
			return KindNewPeerConnected, true
		case peerList:
			return KindListPeers, true
		}
	}
	return 0, false
}

// Message is one message of the catalogue.
type Message interface {
	Kind() Kind
	// appendBody appends the family id, the message id and the body.
	appendBody(dst []byte) []byte
}

// HeaderMessage announces a block by its signed header.
type HeaderMessage struct {
	Header *types.SignedHeader
}

// BlockInfo says what part of a block a request asks for or a response
// carries.
type BlockInfo uint8

// Block info ids of requests and responses.
const (
	InfoHeader       BlockInfo = 0
	InfoOperationIDs BlockInfo = 1
	InfoOperations   BlockInfo = 2
	InfoNotFound     BlockInfo = 3 // responses only
)

// String names the info.
func (i BlockInfo) String() string {
	switch i {
	case InfoHeader:
		return "Header"
	case InfoOperationIDs:
		return "OperationIds"
	case InfoOperations:
		return "Operations"
	case InfoNotFound:
		return "NotFound"
	}
	return fmt.Sprintf("BlockInfo(%d)", uint8(i))
}

// BlockDataRequest asks a peer for the header, the operation ids or some
// operations (by full id) of a block.
type BlockDataRequest struct {
	BlockID      types.BlockID
	Info         BlockInfo
	OperationIDs []types.OperationID // Info == InfoOperations
}

// BlockDataResponse answers a BlockDataRequest. Only the field of Info is
// meaningful.
type BlockDataResponse struct {
	BlockID      types.BlockID
	Info         BlockInfo
	Header       *types.SignedHeader      // InfoHeader
	OperationIDs []types.OperationID      // InfoOperationIDs
	Operations   []*types.SignedOperation // InfoOperations
}

// EndorsementsMessage pushes endorsements in full.
type EndorsementsMessage struct {
	Endorsements []*types.SignedEndorsement
}

// OperationsAnnouncement tells a peer which operations we hold, by prefix.
type OperationsAnnouncement struct {
	Prefixes []types.OperationPrefix
}

// AskForOperations asks a peer for operations by prefix.
type AskForOperations struct {
	Prefixes []types.OperationPrefix
}

// OperationsMessage sends operations in full.
type OperationsMessage struct {
	Operations []*types.SignedOperation
}

// Transport is the transport byte of a listener.
type Transport uint8

// Transports Massa defines; gomassa speaks TCP only.
const (
	TransportTCP  Transport = 0
	TransportQUIC Transport = 1
)

// Listener is an address a node accepts connections on.
type Listener struct {
	Addr      netip.AddrPort
	Transport Transport
}

// PeerListeners is a node and its listeners.
type PeerListeners struct {
	ID        PeerID
	Listeners []Listener
}

// NewPeerConnected tells that a node connected with these listeners.
type NewPeerConnected struct {
	Peer PeerListeners
}

// ListPeers shares known nodes.
type ListPeers struct {
	Peers []PeerListeners
}

// Kind implementations.
func (*HeaderMessage) Kind() Kind          { return KindHeader }
func (*BlockDataRequest) Kind() Kind       { return KindBlockDataRequest }
func (*BlockDataResponse) Kind() Kind      { return KindBlockDataResponse }
func (*EndorsementsMessage) Kind() Kind    { return KindEndorsements }
func (*OperationsAnnouncement) Kind() Kind { return KindOperationsAnnouncement }
func (*AskForOperations) Kind() Kind       { return KindAskForOperations }
func (*OperationsMessage) Kind() Kind      { return KindOperations }
func (*NewPeerConnected) Kind() Kind       { return KindNewPeerConnected }
func (*ListPeers) Kind() Kind              { return KindListPeers }

// Minimum wire sizes, used to check a count against the bytes left before
// allocating for it.
const (
	secureShareOverhead  = crypto.VersionedSignatureSize + crypto.VersionedPublicKeySize
	minSignedOpSize      = secureShareOverhead + 4 // fee, expire, type, one payload byte
	minSignedEndoSize    = secureShareOverhead + 2 + 1 + types.IDSize
	minListenerSize      = 1 + 4 + 2 + 1
	minPeerListenersSize = crypto.VersionedPublicKeySize + 1
	maxListenerSize      = 1 + 16 + 2 + 1
	maxSignedEndoSize    = secureShareOverhead + 10 + 1 + 5 + types.IDSize
	maxDenunciationSize  = 256
)

// AppendMessage appends the wire form of m (ids and body, no frame).
func AppendMessage(dst []byte, m Message) []byte { return m.appendBody(dst) }

// EncodeMessage returns the wire form of m.
func EncodeMessage(m Message) []byte { return m.appendBody(nil) }

func appendIDs(dst []byte, family, id uint64) []byte {
	dst = types.AppendUvarint(dst, family)
	return types.AppendUvarint(dst, id)
}

func (m *HeaderMessage) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyBlock, blockHeader)
	return m.Header.AppendBinary(dst)
}

func appendOpIDs(dst []byte, ids []types.OperationID) []byte {
	dst = types.AppendUvarint(dst, uint64(len(ids)))
	for _, id := range ids {
		dst = id.AppendBinary(dst)
	}
	return dst
}

func appendOps(dst []byte, ops []*types.SignedOperation) []byte {
	dst = types.AppendUvarint(dst, uint64(len(ops)))
	for _, op := range ops {
		dst = op.AppendBinary(dst)
	}
	return dst
}

func appendPrefixes(dst []byte, ps []types.OperationPrefix) []byte {
	dst = types.AppendUvarint(dst, uint64(len(ps)))
	for i := range ps {
		dst = append(dst, ps[i][:]...)
	}
	return dst
}

func (m *BlockDataRequest) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyBlock, blockDataRequest)
	dst = m.BlockID.AppendBinary(dst)
	dst = types.AppendUvarint(dst, uint64(m.Info))
	if m.Info == InfoOperations {
		dst = appendOpIDs(dst, m.OperationIDs)
	}
	return dst
}

func (m *BlockDataResponse) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyBlock, blockDataResponse)
	dst = m.BlockID.AppendBinary(dst)
	dst = types.AppendUvarint(dst, uint64(m.Info))
	switch m.Info {
	case InfoHeader:
		dst = m.Header.AppendBinary(dst)
	case InfoOperationIDs:
		dst = appendOpIDs(dst, m.OperationIDs)
	case InfoOperations:
		dst = appendOps(dst, m.Operations)
	}
	return dst
}

func (m *EndorsementsMessage) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyEndorsement, endorsementList)
	dst = types.AppendUvarint(dst, uint64(len(m.Endorsements)))
	for _, e := range m.Endorsements {
		dst = e.AppendBinary(dst)
	}
	return dst
}

func (m *OperationsAnnouncement) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyOperation, opAnnouncement)
	return appendPrefixes(dst, m.Prefixes)
}

func (m *AskForOperations) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyOperation, opAsk)
	return appendPrefixes(dst, m.Prefixes)
}

func (m *OperationsMessage) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyOperation, opList)
	return appendOps(dst, m.Operations)
}

// appendListener appends ip (tag 4 or 6 and its bytes), port u16 BE and the
// transport byte.
func appendListener(dst []byte, l Listener) []byte {
	ip := l.Addr.Addr()
	if ip.Is4() {
		a := ip.As4()
		dst = append(dst, 4)
		dst = append(dst, a[:]...)
	} else {
		a := ip.As16()
		dst = append(dst, 6)
		dst = append(dst, a[:]...)
	}
	dst = binary.BigEndian.AppendUint16(dst, l.Addr.Port())
	return append(dst, byte(l.Transport))
}

func appendPeerListeners(dst []byte, p PeerListeners) []byte {
	dst = p.ID.AppendBinary(dst)
	dst = types.AppendUvarint(dst, uint64(len(p.Listeners)))
	for _, l := range p.Listeners {
		dst = appendListener(dst, l)
	}
	return dst
}

func (m *NewPeerConnected) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyPeerManagement, peerNewConnected)
	return appendPeerListeners(dst, m.Peer)
}

func (m *ListPeers) appendBody(dst []byte) []byte {
	dst = appendIDs(dst, familyPeerManagement, peerList)
	dst = types.AppendUvarint(dst, uint64(len(m.Peers)))
	for _, p := range m.Peers {
		dst = appendPeerListeners(dst, p)
	}
	return dst
}

// Limits bound what the decoders accept. Every count is checked against
// its limit and against the bytes left before anything is allocated.
type Limits struct {
	// ChainID goes into operation ids.
	ChainID uint64
	// Codec bounds headers, endorsements and blocks (thread count,
	// endorsement count, operations per block, block size, denunciations).
	Codec types.CodecParams
	// MaxOperationsPerMessage bounds announcements, asks and operation
	// lists (Massa: 5000).
	MaxOperationsPerMessage uint32
	// MaxEndorsementsPerMessage bounds endorsement lists (Massa: 1024).
	MaxEndorsementsPerMessage uint32
	// MaxPeersPerMessage bounds ListPeers (Massa: 100).
	MaxPeersPerMessage uint32
	// MaxListenersPerPeer bounds the listeners of one node (Massa: 100).
	MaxListenersPerPeer uint32
	// MaxFrameSize bounds every frame, whatever its type.
	MaxFrameSize uint32
}

// DefaultLimits returns Massa's message limits for chainID with a 64 MiB
// frame limit.
func DefaultLimits(chainID uint64) Limits {
	return Limits{
		ChainID:                   chainID,
		Codec:                     types.DefaultCodecParams(),
		MaxOperationsPerMessage:   5000,
		MaxEndorsementsPerMessage: 1024,
		MaxPeersPerMessage:        100,
		MaxListenersPerPeer:       100,
		MaxFrameSize:              DefaultMaxFrameSize,
	}
}

// maxHeaderSize bounds a SecureShare header under the codec limits.
func (l *Limits) maxHeaderSize() uint64 {
	p := &l.Codec
	return secureShareOverhead + 5 + 6 + 11 + 1 + uint64(p.ThreadCount)*types.IDSize + crypto.HashSize +
		5 + uint64(p.EndorsementCount)*(secureShareOverhead+5) +
		5 + uint64(p.MaxDenunciationsPerHeader)*maxDenunciationSize
}

// MaxPayload is the largest frame payload a message of kind k may have
// under l, never more than MaxFrameSize. The reader checks it after reading
// the two id bytes and before allocating the payload.
func (l *Limits) MaxPayload(k Kind) uint64 {
	const ids = 2 + 2 // two varints, with slack
	var n uint64
	maxOpIDs := 5 + uint64(l.Codec.MaxOperationsPerBlock)*types.IDSize
	peerSize := uint64(minPeerListenersSize) + 10 + uint64(l.MaxListenersPerPeer)*maxListenerSize
	switch k {
	case KindHeader:
		n = ids + l.maxHeaderSize()
	case KindBlockDataRequest:
		n = ids + types.IDSize + 10 + maxOpIDs
	case KindBlockDataResponse:
		// A response carries a header, the op ids, or operations whose
		// total a valid block keeps under MaxBlockSize.
		n = max(l.maxHeaderSize(), maxOpIDs, 5+uint64(l.Codec.MaxBlockSize))
		n += ids + types.IDSize + 10
	case KindEndorsements:
		n = ids + 10 + uint64(l.MaxEndorsementsPerMessage)*maxSignedEndoSize
	case KindOperationsAnnouncement, KindAskForOperations:
		n = ids + 5 + uint64(l.MaxOperationsPerMessage)*types.OperationIDPrefixSize
	case KindOperations:
		// Each operation may be as large as a block; the frame limit is
		// the real bound.
		n = ids + 5 + uint64(l.MaxOperationsPerMessage)*uint64(l.Codec.MaxBlockSize)
	case KindNewPeerConnected:
		n = ids + peerSize
	case KindListPeers:
		n = ids + 10 + uint64(l.MaxPeersPerMessage)*peerSize
	}
	return min(n, uint64(l.MaxFrameSize))
}

// DecodeMessage decodes exactly one message (ids and body, no frame). Every
// error wraps ErrMalformed or ErrUnknownMessage. Signatures are not checked.
func DecodeMessage(b []byte, l *Limits) (Message, error) {
	r := types.NewReader(b, "message")
	m := readMessage(r, l)
	if err := r.Done(); err != nil {
		if errors.Is(err, ErrUnknownMessage) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

func readMessage(r *types.Reader, l *Limits) Message {
	family := r.U64("family id")
	id := r.U64("message id")
	if r.Err() != nil {
		return nil
	}
	k, ok := kindOf(family, id)
	if !ok {
		r.Fail("ids", fmt.Errorf("family %d, id %d: %w", family, id, ErrUnknownMessage))
		return nil
	}
	switch k {
	case KindHeader:
		h := r.SignedHeader("header", l.Codec)
		if r.Err() != nil {
			return nil
		}
		return &HeaderMessage{Header: h}
	case KindBlockDataRequest:
		m := &BlockDataRequest{BlockID: r.BlockID("block_id")}
		m.Info = readInfo(r, false)
		if m.Info == InfoOperations {
			m.OperationIDs = readOpIDs(r, "operation_ids", l.Codec.MaxOperationsPerBlock)
		}
		if r.Err() != nil {
			return nil
		}
		return m
	case KindBlockDataResponse:
		m := &BlockDataResponse{BlockID: r.BlockID("block_id")}
		m.Info = readInfo(r, true)
		switch m.Info {
		case InfoHeader:
			m.Header = r.SignedHeader("header", l.Codec)
		case InfoOperationIDs:
			m.OperationIDs = readOpIDs(r, "operation_ids", l.Codec.MaxOperationsPerBlock)
		case InfoOperations:
			m.Operations = readOps(r, "operations", l.Codec.MaxOperationsPerBlock, l.ChainID)
		}
		if r.Err() != nil {
			return nil
		}
		return m
	case KindEndorsements:
		n := r.U64Max("endorsements count", uint64(l.MaxEndorsementsPerMessage))
		if !fits(r, "endorsements", n, minSignedEndoSize) {
			return nil
		}
		m := &EndorsementsMessage{Endorsements: make([]*types.SignedEndorsement, 0, n)}
		for i := uint64(0); i < n; i++ {
			e := r.SignedEndorsement("endorsement", l.Codec)
			if r.Err() != nil {
				return nil
			}
			m.Endorsements = append(m.Endorsements, e)
		}
		return m
	case KindOperationsAnnouncement:
		ps := readPrefixes(r, l.MaxOperationsPerMessage)
		if r.Err() != nil {
			return nil
		}
		return &OperationsAnnouncement{Prefixes: ps}
	case KindAskForOperations:
		ps := readPrefixes(r, l.MaxOperationsPerMessage)
		if r.Err() != nil {
			return nil
		}
		return &AskForOperations{Prefixes: ps}
	case KindOperations:
		ops := readOps(r, "operations", l.MaxOperationsPerMessage, l.ChainID)
		if r.Err() != nil {
			return nil
		}
		return &OperationsMessage{Operations: ops}
	case KindNewPeerConnected:
		p := readPeerListeners(r, l.MaxListenersPerPeer)
		if r.Err() != nil {
			return nil
		}
		return &NewPeerConnected{Peer: p}
	case KindListPeers:
		n := r.U64Max("peers count", uint64(l.MaxPeersPerMessage))
		if !fits(r, "peers", n, minPeerListenersSize) {
			return nil
		}
		m := &ListPeers{Peers: make([]PeerListeners, 0, n)}
		for i := uint64(0); i < n; i++ {
			p := readPeerListeners(r, l.MaxListenersPerPeer)
			if r.Err() != nil {
				return nil
			}
			m.Peers = append(m.Peers, p)
		}
		return m
	}
	return nil
}

// fits checks that n elements of at least size bytes each can still be in
// the input, so that a forged count cannot make us allocate.
func fits(r *types.Reader, field string, n uint64, size int) bool {
	if r.Err() != nil {
		return false
	}
	if n > uint64(r.Remaining())/uint64(size) {
		r.Failf(field, types.ErrTruncated, "%d entries need at least %d bytes each, %d left", n, size, r.Remaining())
		return false
	}
	return true
}

func readInfo(r *types.Reader, response bool) BlockInfo {
	v := r.U64("info")
	if r.Err() != nil {
		return 0
	}
	if v > uint64(InfoNotFound) || (!response && v == uint64(InfoNotFound)) {
		r.Failf("info", types.ErrUnknownType, "%d", v)
		return 0
	}
	return BlockInfo(v)
}

func readOpIDs(r *types.Reader, field string, limit uint32) []types.OperationID {
	n := r.U32Max(field+" count", limit)
	if !fits(r, field, uint64(n), types.IDSize) {
		return nil
	}
	ids := make([]types.OperationID, n)
	for i := range ids {
		ids[i] = r.OperationID(field)
	}
	return ids
}

func readOps(r *types.Reader, field string, limit uint32, chainID uint64) []*types.SignedOperation {
	n := r.U32Max(field+" count", limit)
	if !fits(r, field, uint64(n), minSignedOpSize) {
		return nil
	}
	ops := make([]*types.SignedOperation, 0, n)
	for i := uint32(0); i < n; i++ {
		op := r.SignedOperation(chainID)
		if r.Err() != nil {
			return nil
		}
		ops = append(ops, op)
	}
	return ops
}

// readPrefixes reads a prefix set. Massa collects it into a set, so
// repeated prefixes are accepted and dropped.
func readPrefixes(r *types.Reader, limit uint32) []types.OperationPrefix {
	n := r.U32Max("prefixes count", limit)
	if !fits(r, "prefixes", uint64(n), types.OperationIDPrefixSize) {
		return nil
	}
	out := make([]types.OperationPrefix, 0, n)
	seen := make(map[types.OperationPrefix]struct{}, n)
	for i := uint32(0); i < n; i++ {
		b := r.Fixed("prefix", types.OperationIDPrefixSize)
		if r.Err() != nil {
			return nil
		}
		p := types.OperationPrefix(b)
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		out = append(out, p)
	}
	return out
}

func readPeerID(r *types.Reader, field string) PeerID {
	return PeerID(r.PublicKey(field))
}

// readListeners reads a listener list. Massa keeps them in a map keyed by
// address, so a repeated address is accepted and dropped.
func readListeners(r *types.Reader, limit uint32) []Listener {
	n := r.U64Max("listeners count", uint64(limit))
	if !fits(r, "listeners", n, minListenerSize) {
		return nil
	}
	out := make([]Listener, 0, n)
	for i := uint64(0); i < n; i++ {
		l := readListener(r)
		if r.Err() != nil {
			return nil
		}
		dup := false
		for _, o := range out {
			if o.Addr == l.Addr {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}

func readListener(r *types.Reader) Listener {
	var ip netip.Addr
	switch tag := r.Byte("listener ip tag"); {
	case r.Err() != nil:
		return Listener{}
	case tag == 4:
		b := r.Fixed("listener ip", 4)
		if r.Err() != nil {
			return Listener{}
		}
		ip = netip.AddrFrom4([4]byte(b))
	case tag == 6:
		b := r.Fixed("listener ip", 16)
		if r.Err() != nil {
			return Listener{}
		}
		ip = netip.AddrFrom16([16]byte(b))
	default:
		r.Failf("listener ip tag", types.ErrBadEncoding, "tag %d", tag)
		return Listener{}
	}
	pb := r.Fixed("listener port", 2)
	t := r.Byte("listener transport")
	if r.Err() != nil {
		return Listener{}
	}
	if t > byte(TransportQUIC) {
		r.Failf("listener transport", types.ErrUnknownType, "%d", t)
		return Listener{}
	}
	return Listener{Addr: netip.AddrPortFrom(ip, binary.BigEndian.Uint16(pb)), Transport: Transport(t)}
}

func readPeerListeners(r *types.Reader, limit uint32) PeerListeners {
	id := readPeerID(r, "peer id")
	ls := readListeners(r, limit)
	return PeerListeners{ID: id, Listeners: ls}
}
