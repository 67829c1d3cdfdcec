package worker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Handler runs one task on an encoded input and returns the encoded output.
type Handler func(ctx context.Context, input []byte) ([]byte, error)

// ValueHandler runs one task on a Go value, skipping the encoding; the local
// backend uses it when asked to.
type ValueHandler func(ctx context.Context, input any) (any, error)

// Task is a registered task: its encoded form and, optionally, its direct
// form.
type Task struct {
	Name  string
	Raw   Handler
	Value ValueHandler
}

var registry struct {
	sync.RWMutex
	m map[string]*Task
}

// Register makes a task available under name to every worker mode. It panics
// if name is empty, h is nil, or name is already registered: registration
// happens in init functions, where a clash is a programming error.
func Register(name string, h Handler) { RegisterTask(&Task{Name: name, Raw: h}) }

// RegisterTask registers t, as Register does.
func RegisterTask(t *Task) {
	if t == nil || t.Name == "" || t.Raw == nil {
		panic("worker: Register needs a name and a handler")
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]*Task)
	}
	if _, dup := registry.m[t.Name]; dup {
		panic(fmt.Sprintf("worker: task %q registered twice", t.Name))
	}
	registry.m[t.Name] = t
}

// Lookup returns the task registered under name, or an error that lists
// the registered names.
func Lookup(name string) (*Task, error) {
	registry.RLock()
	t, ok := registry.m[name]
	registry.RUnlock()
	if !ok {
		return nil, &UnknownTaskError{Name: name, Known: Names()}
	}
	return t, nil
}

// Names returns the registered task names in sorted order.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownTaskError reports a task name that no Register call made known.
type UnknownTaskError struct {
	Name  string
	Known []string
}

func (e *UnknownTaskError) Error() string {
	known := "none"
	if len(e.Known) > 0 {
		known = strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("unknown task %q (registered: %s; forgotten import?)", e.Name, known)
}
