// Package version holds the node's version string, the one Massa's API and
// handshakes carry ("SAND.5.0" on a sandbox, "MAIN.5.0" on mainnet).
package version

// Major and Minor follow the Massa release whose formats gomassa speaks.
const (
	Major = 5
	Minor = 0
)

// Gomassa is this implementation's own release, shown in --version.
const Gomassa = "0.1.0"

// String returns the Massa version string for a 4-letter network prefix.
func String(prefix string) string {
	return prefix + "." + itoa(Major) + "." + itoa(Minor)
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
