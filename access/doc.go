// Package access holds who may do what: accounts, roles, password hashing,
// browser sessions, API tokens, and the decisions "may this person see or
// change this incident". Decisions are pure functions of a Principal and the
// thing asked for; the Service persists accounts through a Store.
package access
