package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// tomlFields maps the TOML keys of a struct type to field indexes.
func tomlFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("toml"), ",")[0]
		if tag != "" && tag != "-" {
			m[tag] = i
		}
	}
	return m
}

// sectionTypes maps each section of config.toml to its struct type,
// [protocol] included.
func sectionTypes() map[string]reflect.Type {
	m := map[string]reflect.Type{sectionProtocol: reflect.TypeFor[NetworkConfig]()}
	t := reflect.TypeFor[Config]()
	for name, i := range tomlFields(t) {
		m[name] = t.Field(i).Type
	}
	return m
}

// describeKeyType says in words what value a key takes, for type errors.
func describeKeyType(key []string) string {
	if len(key) != 2 {
		return ""
	}
	st, ok := sectionTypes()[key[0]]
	if !ok || st.Kind() != reflect.Struct {
		return ""
	}
	i, ok := tomlFields(st)[key[1]]
	if !ok {
		return ""
	}
	ft := st.Field(i).Type
	switch {
	case ft == reflect.TypeFor[Millis]():
		return "a non-negative integer number of milliseconds"
	case ft == reflect.TypeFor[Amount]():
		return "an amount of MAS as a string, like \"0.01\""
	}
	switch ft.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return fmt.Sprintf("an integer from 0 to %d", uint64(1)<<(ft.Bits())-1)
	case reflect.Slice:
		if ft.Elem().Kind() == reflect.Slice {
			return "an array of [\"ip:port\", \"N…\"] pairs"
		}
		return "an array"
	}
	return ""
}

// suggestKey proposes the known key nearest to an unknown one: first a key
// of the same section within a few edits, then the same key in another
// section (a key put under the wrong header), then a section name.
func suggestKey(key []string) string {
	secs := sectionTypes()
	names := make([]string, 0, len(secs))
	for n := range secs {
		if n != sectionProtocol { // never suggest the alias
			names = append(names, n)
		}
	}
	sort.Strings(names)
	inOtherSection := func(leaf, except string) string {
		for _, n := range names {
			if n == except || secs[n].Kind() != reflect.Struct {
				continue
			}
			if _, ok := tomlFields(secs[n])[leaf]; ok {
				return fmt.Sprintf("%q in [%s]", leaf, n)
			}
		}
		return ""
	}
	if len(key) == 1 {
		if s := inOtherSection(key[0], ""); s != "" {
			return s
		}
		if n := nearest(key[0], names); n != "" {
			return "[" + n + "]"
		}
		return ""
	}
	sec, leaf := key[0], key[1]
	st, ok := secs[sec]
	if !ok {
		if n := nearest(sec, names); n != "" {
			return "[" + n + "]"
		}
		return ""
	}
	fields := tomlFields(st)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if n := nearest(leaf, keys); n != "" {
		return fmt.Sprintf("%q", n)
	}
	return inOtherSection(leaf, sec)
}

// nearest returns the candidate closest to word if it is close enough to
// be a typo: at most 2 edits, or a third of the word's length.
func nearest(word string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(word, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || (bestD > 2 && bestD*3 > len(word)) {
		return ""
	}
	return best
}

// editDistance is the optimal-string-alignment distance: insertions,
// deletions, substitutions and swaps of adjacent letters each cost one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 { // keys are short; bound the work
		return max(len(a), len(b))
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
