package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"gocloud.dev/blob"

	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/workloads/textgen"
)

// newGenCmd is gen, with a subcommand per kind of data.
func newGenCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen KIND [flags]",
		Short: "Generate test data into storage",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("gen needs a kind of data (see %s --help)", cmd.CommandPath())
			}
			return usagef("unknown kind of data %q (see %s --help)", args[0], cmd.CommandPath())
		},
	}
	cmd.AddCommand(newGenTextCmd(a.stdout), newGenSortCmd(a.stdout))
	return cmd
}

func newGenTextCmd(stdout io.Writer) *cobra.Command {
	var size, seed uint64
	var output, words string
	cmd := &cobra.Command{
		Use:     "text",
		Short:   "Write text whose words follow a Zipf law over a word list",
		Example: "  overcast gen text --size 1e9 --output file:///data/text.txt",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output == "" {
				return usagef("gen text needs --output URL")
			}
			list, err := textgen.LoadWords(words)
			if err != nil {
				return fmt.Errorf("gen text: %w (install the Debian package wamerican-huge or pass --words FILE)", err)
			}
			if err := writeText(cmd.Context(), output, int64(size), int64(seed), list); err != nil {
				return fmt.Errorf("gen text: %w", err)
			}
			fmt.Fprintf(stdout, "wrote %d bytes to %s\n", size, withoutUserinfo(output))
			return nil
		},
	}
	cmd.Flags().Var(positive(&size, 1<<20), "size", "bytes to write, e.g. 1e9")
	cmd.Flags().Var(newCount(&seed, 1), "seed", "the same seed gives the same text")
	cmd.Flags().StringVar(&output, "output", "", "URL of the object to write (file://, s3://, mem://)")
	cmd.Flags().StringVar(&words, "words", textgen.DefaultWords, "word list, one word a line")
	return cmd
}

func writeText(ctx context.Context, url string, size, seed int64, words []string) error {
	b, key, err := storage.OpenURL(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	if key == "" {
		return fmt.Errorf("%s names a prefix, not an object", url)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "text/plain"})
	if err != nil {
		return err
	}
	if err := textgen.Generate(w, size, seed, words); err != nil {
		cancel()
		w.Close()
		return err
	}
	return w.Close()
}
