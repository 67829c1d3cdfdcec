// Package textgen generates text of any size whose words follow a Zipf
// law over a word list, as in natural text: the same seed, size and list
// give the same bytes.
package textgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
)

// DefaultWords is the word list of the Debian package wamerican-huge.
const DefaultWords = "/usr/share/dict/american-english-huge"

// LoadWords reads a word list, one word a line; it drops empty lines and
// words holding whitespace.
func LoadWords(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("word list: %w", err)
	}
	var words []string
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		if len(l) > 0 && len(bytes.Fields(l)) == 1 && len(bytes.Fields(l)[0]) == len(l) {
			words = append(words, string(l))
		}
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("word list %s holds no words", path)
	}
	return words, nil
}

// Generate writes exactly size bytes of lines of words to w. Word ranks
// follow a Zipf law (exponent 1.1) over words, in an order shuffled by
// seed; lines hold 1 to 16 words. The last line may be cut short (its
// last word too) to make the size exact.
func Generate(w io.Writer, size int64, seed int64, words []string) error {
	if size < 0 {
		return fmt.Errorf("size must not be negative, got %d", size)
	}
	if len(words) == 0 {
		return errors.New("no words to generate text from")
	}
	r := rand.New(rand.NewSource(seed))
	order := append([]string(nil), words...)
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	zipf := rand.NewZipf(r, 1.1, 1, uint64(len(order)-1))
	bw := bufio.NewWriterSize(w, 1<<20)
	line := make([]byte, 0, 512)
	for written := int64(0); written < size; {
		line = line[:0]
		for n := 1 + r.Intn(16); n > 0; n-- {
			line = append(line, order[zipf.Uint64()]...)
			line = append(line, ' ')
		}
		line[len(line)-1] = '\n'
		if left := size - written; int64(len(line)) > left {
			line = line[:left]
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
		written += int64(len(line))
	}
	return bw.Flush()
}
