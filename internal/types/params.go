package types

// Mainnet values of the limits the block codecs need (massa-models
// config/constants.rs).
const (
	DefaultThreadCount               = 32
	DefaultEndorsementCount          = 16
	DefaultMaxOperationsPerBlock     = 5000
	DefaultMaxBlockSize              = 300_000
	DefaultMaxDenunciationsPerHeader = 128
)

// CodecParams are the network parameters that bound what the endorsement,
// header and block decoders accept. Operations need none.
type CodecParams struct {
	// ThreadCount bounds slot threads and is the exact number of parents
	// of a non-genesis header.
	ThreadCount uint8
	// EndorsementCount bounds endorsement indices (index < count) and the
	// number of endorsements in a header (<= count).
	EndorsementCount uint32
	// MaxOperationsPerBlock bounds the operation ids of a block.
	MaxOperationsPerBlock uint32
	// MaxBlockSize is carried for the protocol and the pool: Massa applies
	// it to the summed size of a block's serialized operations, not to the
	// block wire form (which holds only ids), so the codecs do not check it.
	MaxBlockSize uint32
	// MaxDenunciationsPerHeader bounds the denunciations of a header.
	MaxDenunciationsPerHeader uint32
	// LastStartPeriod, when set, makes the header decoder require that
	// headers at this period have no parents and all others have
	// ThreadCount parents, as Massa's node does. Nil leaves the choice to
	// the parents flag byte.
	LastStartPeriod *uint64
}

// DefaultCodecParams returns the mainnet limits (32 threads, 16
// endorsements, 5000 operations, 300 000 bytes, 128 denunciations) with no
// last-start-period check.
func DefaultCodecParams() CodecParams {
	return CodecParams{
		ThreadCount:               DefaultThreadCount,
		EndorsementCount:          DefaultEndorsementCount,
		MaxOperationsPerBlock:     DefaultMaxOperationsPerBlock,
		MaxBlockSize:              DefaultMaxBlockSize,
		MaxDenunciationsPerHeader: DefaultMaxDenunciationsPerHeader,
	}
}

// sub joins a field prefix and a field name for error messages
// ("header.parents[3]").
func sub(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
