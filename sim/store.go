package sim

import (
	"hash/maphash"
	"sort"
	"strings"
	"sync"
)

const shards = 64

// store holds activation records by id (sharded) and by start time (one
// index for listings), dropping the oldest beyond a bound.
type store struct {
	max  int
	seed maphash.Seed
	byID [shards]struct {
		sync.RWMutex
		m map[string]*record
	}

	mu    sync.Mutex
	order []*record // ascending start; order[head:] are live
	head  int
}

func newStore(max int) *store {
	s := &store{max: max, seed: maphash.MakeSeed()}
	for i := range s.byID {
		s.byID[i].m = make(map[string]*record)
	}
	return s
}

func (s *store) shard(id string) int {
	return int(maphash.String(s.seed, id) % shards)
}

// put stores r.
func (s *store) put(r *record) {
	sh := &s.byID[s.shard(r.id)]
	sh.Lock()
	sh.m[r.id] = r
	sh.Unlock()

	s.mu.Lock()
	live := s.order[s.head:]
	i := len(live)
	for i > 0 && live[i-1].start.After(r.start) {
		i--
	}
	s.order = append(s.order, nil)
	live = s.order[s.head:]
	copy(live[i+1:], live[i:])
	live[i] = r
	var drop []*record
	if n := len(live) - s.max; n > 0 {
		drop = append(drop, live[:n]...)
		clear(live[:n])
		s.head += n
	}
	if s.head > len(s.order)/2 && s.head > 1024 {
		s.order = append([]*record(nil), s.order[s.head:]...)
		s.head = 0
	}
	s.mu.Unlock()
	for _, d := range drop {
		sh := &s.byID[s.shard(d.id)]
		sh.Lock()
		delete(sh.m, d.id)
		sh.Unlock()
	}
}

// get returns the record with id, or nil.
func (s *store) get(id string) *record {
	sh := &s.byID[s.shard(id)]
	sh.RLock()
	defer sh.RUnlock()
	return sh.m[id]
}

// query selects records for a listing.
type query struct {
	name        string // action name, with or without package; "" = all
	since, upto int64  // epoch ms, inclusive; zero = unbounded
	skip, limit int
}

func (q *query) match(r *record) bool {
	if q.name != "" && r.name != q.name && !strings.HasSuffix(r.name, "/"+q.name) {
		return false
	}
	ms := r.start.UnixMilli()
	return (q.since == 0 || ms >= q.since) && (q.upto == 0 || ms <= q.upto)
}

// list returns the records q selects, newest start first, and how many
// matched in all when count is set.
func (s *store) list(q query, count bool) ([]*record, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.order[s.head:]
	// Records are sorted by start: narrow to the time window first.
	lo, hi := 0, len(live)
	if q.since != 0 {
		lo = sort.Search(len(live), func(i int) bool { return live[i].start.UnixMilli() >= q.since })
	}
	if q.upto != 0 {
		hi = sort.Search(len(live), func(i int) bool { return live[i].start.UnixMilli() > q.upto })
	}
	var out []*record
	n := 0
	for i := hi - 1; i >= lo; i-- {
		if !q.match(live[i]) {
			continue
		}
		if n >= q.skip && len(out) < q.limit {
			out = append(out, live[i])
		}
		n++
		if !count && len(out) == q.limit {
			break
		}
	}
	return out, n
}
