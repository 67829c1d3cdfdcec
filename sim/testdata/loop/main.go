// Command loop is a tiny actionloop action for the sim's tests: it speaks
// the protocol of OpenWhisk's Go proxy without any Overcast code.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

type body struct {
	Value struct {
		Echo    any    `json:"echo"`
		SleepMS int    `json:"sleep_ms"`
		Exit    int    `json:"exit"`
		Error   string `json:"error"`
		Log     string `json:"log"`
		Bad     bool   `json:"bad"`
		Big     int    `json:"big"`
		Getenv  string `json:"getenv"`
	} `json:"value"`
	Namespace    string `json:"namespace"`
	ActionName   string `json:"action_name"`
	ActivationID string `json:"activation_id"`
	Deadline     string `json:"deadline"`
}

func main() {
	fd3 := os.NewFile(3, "fd3")
	if os.Getenv("__OW_WAIT_FOR_ACK") != "" {
		fmt.Fprintln(fd3, `{"ok":true}`)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	count := 0
	for in.Scan() {
		count++
		var b body
		if err := json.Unmarshal(in.Bytes(), &b); err != nil {
			fmt.Fprintf(fd3, "{\"error\":%q}\n", err.Error())
			continue
		}
		v := b.Value
		if v.Log != "" {
			fmt.Println(v.Log)
			fmt.Fprintln(os.Stderr, "err: "+v.Log)
		}
		time.Sleep(time.Duration(v.SleepMS) * time.Millisecond)
		switch {
		case v.Exit != 0:
			os.Exit(v.Exit)
		case v.Bad:
			fmt.Fprintln(fd3, "this is not json")
			continue
		case v.Error != "":
			json.NewEncoder(fd3).Encode(map[string]any{"error": v.Error})
			continue
		}
		var env []string
		for _, kv := range os.Environ() {
			env = append(env, strings.SplitN(kv, "=", 2)[0])
		}
		json.NewEncoder(fd3).Encode(map[string]any{
			"echo": v.Echo, "pid": os.Getpid(), "count": count, "env": env, "getenv": os.Getenv(v.Getenv),
			"activation_id": b.ActivationID, "action_name": b.ActionName,
			"namespace": b.Namespace, "deadline": b.Deadline, "pad": strings.Repeat("x", v.Big),
		})
	}
}
