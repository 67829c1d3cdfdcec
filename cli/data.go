package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/overcast-sc/overcast/storage"
	"github.com/overcast-sc/overcast/workloads/sortbench"
)

func newGenSortCmd(stdout io.Writer) *cobra.Command {
	var size, first uint64
	var output string
	cmd := &cobra.Command{
		Use:   "sort",
		Short: "Write gensort's 100-byte records (binary keys) to one object",
		Example: "  overcast gen sort --size 1e9 --output file:///data/sort/in\n" +
			"  overcast gen sort --size 1e8 --first 1e6 --output s3://bkt/in/part-1?endpoint=...",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output == "" {
				return usagef("gen sort needs --output URL")
			}
			if size%sortbench.RecordSize != 0 {
				return usagef("--size %d is not a multiple of the %d-byte record", size, sortbench.RecordSize)
			}
			return genSort(cmd.Context(), stdout, output, size, first)
		},
	}
	cmd.Flags().Var(positive(&size, 1e9), "size", "bytes to write, a multiple of 100, e.g. 1e9")
	cmd.Flags().Var(newCount(&first, 0), "first", "number of the first record, as gensort -b (0 = the start): generate a big set in parts")
	cmd.Flags().StringVar(&output, "output", "", "object URL to write (file://, mem://, s3://)")
	return cmd
}

func genSort(ctx context.Context, stdout io.Writer, output string, size, first uint64) error {
	b, key, err := storage.OpenURL(ctx, output)
	if err != nil {
		return &usageError{err}
	}
	defer b.Close()
	if key == "" || strings.HasSuffix(key, "/") {
		return usagef("--output %s names a prefix; gen sort writes one object", output)
	}
	if err := sortbench.Generate(ctx, b, key, int64(size), first); err != nil {
		return fmt.Errorf("gen sort: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d records (%d bytes) to %s\n", size/sortbench.RecordSize, size, withoutUserinfo(output))
	return nil
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate WORKLOAD",
		Short: "Check a workload's output against its input",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("validate needs a workload (sort)")
		},
	}
	cmd.AddCommand(newValidateSortCmd(stdout))
	return cmd
}

func newValidateSortCmd(stdout io.Writer) *cobra.Command {
	var input, output string
	cmd := &cobra.Command{
		Use:   "sort",
		Short: "Check that a sort's output is sorted and holds exactly the input's records",
		Long: `Reads the input and the output (an object, or every object under a prefix,
in key order) and exits 0 only when every output record is in key order,
across objects too, and the output has the input's record count and
checksum (the sum of a 128-bit hash of every record, as valsort does).`,
		Example: "  overcast validate sort --input file:///data/sort/in --output file:///data/sort/out/",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" || output == "" {
				return usagef("validate sort needs --input URL and --output URL")
			}
			return validateSort(cmd.Context(), stdout, input, output)
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "URL of the input object or prefix")
	cmd.Flags().StringVar(&output, "output", "", "URL of the output object or prefix")
	return cmd
}

func validateSort(ctx context.Context, stdout io.Writer, input, output string) error {
	in, err := sortbench.OpenDataSet(ctx, input)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer in.Bucket.Close()
	out, err := sortbench.OpenDataSet(ctx, output)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	defer out.Bucket.Close()
	v, err := sortbench.Validate(ctx, in, out)
	if err != nil {
		if errors.Is(err, sortbench.ErrInvalid) {
			return err
		}
		return fmt.Errorf("validate sort: %w", err)
	}
	fmt.Fprintf(stdout, "ok: %d records sorted in %d objects, checksum %s\n", v.Output.Records, v.Partitions, v.Output)
	return nil
}
