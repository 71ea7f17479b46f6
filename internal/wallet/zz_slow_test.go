package wallet

import (
	"strings"
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	inputs := map[string]string{
		"nested": strings.Repeat("[", 30000),
		"nestedmap": strings.Repeat("{a: ", 16000),
		"aliases": "a: &a [" + strings.Repeat("1,", 100) + "1]\nb: &b [" + strings.Repeat("*a,", 100) + "*a]\nc: &c [" + strings.Repeat("*b,", 100) + "*b]\nd: [" + strings.Repeat("*c,", 100) + "*c]\n",
		"bigseq": "Salt: [" + strings.Repeat("0,", 30000) + "0]\n",
		"keys": strings.Repeat("a: 1\n", 12000),
	}
	for n, in := range inputs {
		start := time.Now()
		_, err := decodeFile([]byte(in))
		t.Logf("%s: %v %v", n, time.Since(start), err)
	}
}
