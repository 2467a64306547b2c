package store

// ConditionalOutbox is o changing states by conditional updates, as it
// does on MongoDB, whatever the server: tests run both ways of changing a
// message on the embedded server.
func ConditionalOutbox(o *Outbox) *Outbox { return &Outbox{col: o.col} }
