// Package diag watches parallel work: it defines the Observer that par and
// lazy report task starts and ends to, and ships observers that show the
// work to a person (a progress bar, a Chrome trace, an SVG timeline).
//
// Observers are called from worker goroutines, concurrently: every Observer
// must be safe for concurrent use, and should return quickly because it runs
// on the workers' critical path.
package diag

import (
	"context"
	"time"
)

// Task describes one execution of a task, as an Observer sees it.
type Task struct {
	// ID identifies the task within one computation (stable across its start
	// and end events).
	ID int64
	// Name is the task's name: the function's name for lazy nodes (or the
	// name given by the user), "map", "for" or the like for par.
	Name string
	// Worker is the index of the worker that runs the task, from 0 to the
	// number of workers minus one.
	Worker int
	// Start is when the task started.
	Start time.Time
	// End is when the task ended; zero in TaskStart.
	End time.Time
	// Err is the task's error, if any; only set in TaskEnd.
	Err error
}

// Observer receives the life of a computation: Begin once, then TaskStart
// and TaskEnd for each task (from any goroutine), then End once.
type Observer interface {
	// Begin is called before any task runs, with the number of tasks the
	// computation expects (0 when unknown) and its number of workers.
	Begin(tasks, workers int)
	// TaskStart is called on the worker goroutine just before a task runs.
	TaskStart(t Task)
	// TaskEnd is called on the worker goroutine just after a task returns
	// (or panics).
	TaskEnd(t Task)
	// End is called once all tasks have ended or the computation stopped.
	End()
}

// Multi returns an Observer that forwards every event to each of obs, in
// order. Nil observers are skipped.
func Multi(obs ...Observer) Observer {
	var m multi
	for _, o := range obs {
		if o != nil {
			m = append(m, o)
		}
	}
	return m
}

type multi []Observer

func (m multi) Begin(tasks, workers int) {
	for _, o := range m {
		o.Begin(tasks, workers)
	}
}
func (m multi) TaskStart(t Task) {
	for _, o := range m {
		o.TaskStart(t)
	}
}
func (m multi) TaskEnd(t Task) {
	for _, o := range m {
		o.TaskEnd(t)
	}
}
func (m multi) End() {
	for _, o := range m {
		o.End()
	}
}

// ctxKey is unexported so that no other package can collide with it.
type ctxKey struct{}

// WithTaskName returns a context that carries a task's name, for code that
// wants to know which task it runs in.
func WithTaskName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, ctxKey{}, name)
}

// TaskName returns the task name carried by ctx, or "".
func TaskName(ctx context.Context) string {
	s, _ := ctx.Value(ctxKey{}).(string)
	return s
}
