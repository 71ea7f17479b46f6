package protocol

import (
	"encoding/binary"
	"fmt"
	"io"
)

// DefaultMaxFrameSize bounds any frame. Massa (PeerNet) accepts up to
// 1 048 576 000 bytes; no message of the catalogue needs more than a few
// MiB under mainnet limits, so gomassa refuses far less.
const DefaultMaxFrameSize = 64 << 20

// frameHeaderSize is the 4-byte big-endian length in front of every frame.
const frameHeaderSize = 4

// AppendFrame appends a frame: the 4-byte big-endian length of payload,
// then payload.
func AppendFrame(dst, payload []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...)
}

// EncodeFrame returns m framed, ready to write.
func EncodeFrame(m Message) []byte {
	b := make([]byte, frameHeaderSize, 256)
	b = m.appendBody(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-frameHeaderSize))
	return b
}

// WriteFrame writes payload as one frame.
func WriteFrame(w io.Writer, payload []byte) error {
	_, err := w.Write(AppendFrame(make([]byte, 0, frameHeaderSize+len(payload)), payload))
	return err
}

// ReadRawFrame reads one frame of at most max bytes. The length is checked
// before the payload is allocated.
func ReadRawFrame(r io.Reader, max uint32) ([]byte, error) {
	var h [frameHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > max {
		return nil, fmt.Errorf("frame of %d bytes, limit %d: %w", n, max, ErrFrameTooLarge)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, eofIsUnexpected(err)
	}
	return b, nil
}

// ReadMessageFrame reads one frame holding a message. It reads the length
// and the two id varints first and checks the length against MaxFrameSize
// and the limit of that message kind before allocating the payload. An
// empty frame, unknown ids or a length over a limit are errors wrapping
// ErrMalformed, ErrUnknownMessage or ErrFrameTooLarge; I/O errors are
// returned as they are.
func ReadMessageFrame(r io.Reader, l *Limits) ([]byte, Kind, error) {
	var h [frameHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, 0, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > l.MaxFrameSize {
		return nil, 0, fmt.Errorf("frame of %d bytes, limit %d: %w", n, l.MaxFrameSize, ErrFrameTooLarge)
	}
	if n < 2 {
		return nil, 0, fmt.Errorf("frame of %d bytes holds no message ids: %w", n, ErrMalformed)
	}
	// Every valid id fits one varint byte, so two bytes name the kind.
	var ids [2]byte
	if _, err := io.ReadFull(r, ids[:]); err != nil {
		return nil, 0, eofIsUnexpected(err)
	}
	if ids[0]&0x80 != 0 || ids[1]&0x80 != 0 {
		return nil, 0, fmt.Errorf("ids %02x %02x: %w", ids[0], ids[1], ErrUnknownMessage)
	}
	k, ok := kindOf(uint64(ids[0]), uint64(ids[1]))
	if !ok {
		return nil, 0, fmt.Errorf("family %d, id %d: %w", ids[0], ids[1], ErrUnknownMessage)
	}
	if limit := l.MaxPayload(k); uint64(n) > limit {
		return nil, 0, fmt.Errorf("%s frame of %d bytes, limit %d: %w", k, n, limit, ErrFrameTooLarge)
	}
	b := make([]byte, n)
	copy(b, ids[:])
	if _, err := io.ReadFull(r, b[2:]); err != nil {
		return nil, 0, eofIsUnexpected(err)
	}
	return b, k, nil
}

// eofIsUnexpected turns a clean EOF in the middle of a frame into
// io.ErrUnexpectedEOF.
func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
