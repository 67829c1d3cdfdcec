package cli
import ("io"; "github.com/spf13/cobra")
func newJobsServeCmd(store storeFunc, stdout, stderr io.Writer) *cobra.Command { return &cobra.Command{Use: "serve"} }
