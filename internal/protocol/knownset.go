package protocol

// knownSet is a bounded set of recently seen keys ("this peer knows that
// operation"). It keeps two generations: new keys go into the current one;
// when it holds half the capacity it becomes the old one and the previous
// old generation is dropped. A key found in the old generation moves back to
// the current one. So a key touched at least once in the last capacity/2
// insertions is always kept, and the set never holds more than capacity
// keys: the behaviour of an LRU at the cost of two map operations, with no
// per-entry list node. Not safe for concurrent use: the service loop owns
// every knownSet.
type knownSet[K comparable] struct {
	cur, old map[K]struct{}
	half     int
}

func newKnownSet[K comparable](capacity int) *knownSet[K] {
	half := max(capacity/2, 1)
	return &knownSet[K]{cur: make(map[K]struct{}), half: half}
}

// add records k.
func (s *knownSet[K]) add(k K) {
	if _, ok := s.cur[k]; ok {
		return
	}
	if s.old != nil {
		delete(s.old, k)
	}
	if len(s.cur) >= s.half {
		s.old = s.cur
		s.cur = make(map[K]struct{}, s.half/4)
	}
	s.cur[k] = struct{}{}
}

// has reports whether k is known, refreshing it.
func (s *knownSet[K]) has(k K) bool {
	if _, ok := s.cur[k]; ok {
		return true
	}
	if _, ok := s.old[k]; ok {
		s.add(k)
		return true
	}
	return false
}

// len is the number of keys held.
func (s *knownSet[K]) len() int { return len(s.cur) + len(s.old) }
