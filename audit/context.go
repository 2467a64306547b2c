package audit

import "context"

type ctxKey int

const (
	ctxActor ctxKey = iota
	ctxSource
)

// WithActor returns ctx carrying who is making the request, so that records
// made further down (an incident observer) name them.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxActor, a)
}

// WithSource returns ctx carrying where the request comes from.
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, ctxSource, s)
}

// ActorFrom is the actor ctx carries, or the zero Actor.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(ctxActor).(Actor)
	return a
}

// SourceFrom is the source ctx carries, or the zero Source.
func SourceFrom(ctx context.Context) Source {
	s, _ := ctx.Value(ctxSource).(Source)
	return s
}
