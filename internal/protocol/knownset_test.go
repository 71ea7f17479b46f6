package protocol

import "testing"

func TestKnownSetBoundedAndKeepsRecent(t *testing.T) {
	s := newKnownSet[int](100)
	s.add(0)
	for i := 1; i < 10_000; i++ {
		s.add(i)
		if i%10 == 0 && !s.has(0) {
			t.Fatalf("key touched every 10 insertions forgotten at %d", i)
		}
		if s.len() > 100 {
			t.Fatalf("%d keys held, capacity 100", s.len())
		}
	}
	if s.has(5000) {
		t.Fatal("an old untouched key is still held")
	}
	if !s.has(9999) {
		t.Fatal("the latest key is not held")
	}
}
