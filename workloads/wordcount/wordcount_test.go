package wordcount

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/overcast-sc/overcast"
	_ "github.com/overcast-sc/overcast/backend/local"
	"github.com/overcast-sc/overcast/internal/testpeer"
	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/workloads/textgen"
)

// reference counts words the simplest way.
func reference(data []byte) map[string]int64 {
	m := map[string]int64{}
	for _, w := range bytes.FieldsFunc(data, func(r rune) bool { return r < 256 && space[byte(r)] }) {
		m[string(w)]++
	}
	return m
}

// nasty is text with every kind of separator, runs of them, non-ASCII
// bytes (which are word bytes) and no trailing newline.
func nasty(r *rand.Rand, n int) []byte {
	alphabet := []byte(" \t\n\v\f\rab\xc3\xa9\x85\xa0z")
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return b
}

// printable is nasty text whose every word holds a printable ASCII
// byte: GNU wc (9.1) in the C locale does not count a run of only
// non-printable bytes as a word, where Overcast does.
func printable(r *rand.Rand, n int) []byte {
	b := nasty(r, n)
	for i := 1; i < len(b); i++ {
		if !space[b[i-1]] || space[b[i]] {
			continue
		}
		b[i] = 'q' // every word starts with a printable byte
	}
	if len(b) > 0 && !space[b[0]] {
		b[0] = 'q'
	}
	return b
}

func TestCounterSplitsAnywhere(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	c := NewCounter()
	for range 200 {
		data := nasty(r, r.IntN(300))
		c.Reset() // a reused counter counts as a new one
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1+r.IntN(7))
			c.Write(rest[:n])
			rest = rest[n:]
		}
		c.End()
		want := reference(data)
		var total int64
		for _, n := range want {
			total += n
		}
		if !maps.Equal(c.Map(), want) || c.Words != total {
			t.Fatalf("%q: got %v (%d), want %v (%d)", data, c.Map(), c.Words, want, total)
		}
	}
}

// TestCounterResetsAcrossEpochs resets a counter more times than its
// table has epochs, each time counting words that fill the same slots
// as the last count's: no count sees a word of an earlier one, before,
// at and after the epochs wrap around and the table is cleared.
func TestCounterResetsAcrossEpochs(t *testing.T) {
	c := NewCounter()
	for i := range 1<<16 + 3 {
		c.Reset()
		w := []byte(fmt.Sprintf("w%d x%d w%d ", i%5, i%3, i%5))
		c.Write(w)
		c.End()
		if c.Words != 3 || c.Distinct() != 2 {
			t.Fatalf("count %d of %q: %d words, %d distinct", i, w, c.Words, c.Distinct())
		}
		if i%4096 == 0 || i >= 1<<16-2 {
			want := map[string]int64{fmt.Sprintf("w%d", i%5): 2, fmt.Sprintf("x%d", i%3): 1}
			if got := c.Map(); !maps.Equal(got, want) {
				t.Fatalf("count %d: %v, want %v", i, got, want)
			}
		}
	}
	// A grown table keeps its epoch: the words counted before it grew
	// are still found.
	c.Reset()
	for i := range 10_000 {
		c.Write([]byte(fmt.Sprintf("g%d g0 ", i)))
	}
	c.End()
	if m := c.Map(); len(m) != 10_000 || m["g0"] != 10_001 {
		t.Fatalf("grown table: %d words, g0 seen %d times", len(m), m["g0"])
	}
}

// wcWords runs LC_ALL=C wc -w on a file.
func wcWords(t *testing.T, path string) int64 {
	if _, err := exec.LookPath("wc"); err != nil {
		testpeer.Skip(t, "wc is not installed (coreutils)")
	}
	cmd := exec.Command("wc", "-w", path)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunAgreesWithWC(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "in"), 0o755)
	r := rand.New(rand.NewPCG(2, 2))
	var all []byte
	words := make([]string, 500)
	for i := range words {
		words[i] = fmt.Sprintf("w%dé", i)
	}
	for i := range 4 {
		var buf bytes.Buffer
		if err := textgen.Generate(&buf, int64(20_000+r.IntN(50_000)), int64(i), words); err != nil {
			t.Fatal(err)
		}
		data := append(buf.Bytes(), printable(r, 500)...)
		if err := os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("%d.txt", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		all = append(append(all, data...), '\n') // objects do not run into each other
	}
	os.WriteFile(filepath.Join(dir, "all.txt"), all, 0o644)
	want := reference(all)
	ex, err := overcast.NewExecutor(ctx, "local", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	res, err := Run(ctx, ex, Config{Input: "file://" + dir + "/in/", Output: "file://" + dir + "/out/", ChunkSize: 3000, Reducers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if wc := wcWords(t, filepath.Join(dir, "all.txt")); res.TotalWords != wc || !res.Checked() {
		t.Fatalf("total %d (map side %d), wc -w says %d", res.TotalWords, res.MapWords, wc)
	}
	if res.DistinctWords != int64(len(want)) {
		t.Fatalf("distinct %d, want %d", res.DistinctWords, len(want))
	}
	if got := readOutput(t, dir+"/out"); !maps.Equal(got, want) {
		t.Fatalf("per-word counts differ: %d words, want %d", len(got), len(want))
	}
}

func readOutput(t *testing.T, dir string) map[string]int64 {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") || strings.HasSuffix(e.Name(), ".attrs") {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			i := strings.LastIndexByte(sc.Text(), '\t')
			n, err := strconv.ParseInt(sc.Text()[i+1:], 10, 64)
			if err != nil {
				t.Fatalf("bad line %q", sc.Text())
			}
			got[sc.Text()[:i]] += n
		}
	}
	return got
}

func TestRunBadInput(t *testing.T) {
	ctx := context.Background()
	ex, _ := overcast.NewExecutor(ctx, "local", nil)
	defer ex.Close()
	dir := t.TempDir()
	for _, cfg := range []Config{{}, {Input: "file://" + dir + "/missing.txt"}, {Input: "bogus"}, {Input: "file://" + dir, Tasks: -1}} {
		if _, err := Run(ctx, ex, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	b, _ := storage.Open(ctx, "file://"+dir)
	defer b.Close()
}
