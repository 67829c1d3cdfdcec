package wordcount

// space marks the bytes that separate words: ASCII space, \t, \n, \v, \f
// and \r, as for LC_ALL=C wc -w.
var space = [256]bool{' ': true, '\t': true, '\n': true, '\v': true, '\f': true, '\r': true}

// Counter counts words in the bytes written to it, which may cut words
// anywhere: a word that spans two writes is counted once.
type Counter struct {
	// Counts maps each word to its count.
	Counts map[string]int64
	// Words is the number of words.
	Words int64
	part  []byte
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{Counts: make(map[string]int64)} }

// Write counts the words of p; a word at p's end waits for the next
// write or End. It never fails.
func (c *Counter) Write(p []byte) (int, error) {
	i := 0
	if len(c.part) > 0 {
		for i < len(p) && !space[p[i]] {
			i++
		}
		c.part = append(c.part, p[:i]...)
		if i == len(p) {
			return len(p), nil
		}
		c.add(c.part)
		c.part = c.part[:0]
	}
	for i < len(p) {
		for i < len(p) && space[p[i]] {
			i++
		}
		start := i
		for i < len(p) && !space[p[i]] {
			i++
		}
		if i == start {
			break
		}
		if i == len(p) {
			c.part = append(c.part, p[start:]...)
			break
		}
		c.add(p[start:i])
	}
	return len(p), nil
}

// End counts the word the last write ended in, if any: call it where the
// text ends (a word does not run on from one range into the next).
func (c *Counter) End() {
	if len(c.part) > 0 {
		c.add(c.part)
		c.part = c.part[:0]
	}
}

func (c *Counter) add(w []byte) {
	c.Counts[string(w)]++ // no allocation when the word is known
	c.Words++
}
