// Package web is Tocsin's HTTP face: the JSON API under /api/v1, the
// server-rendered pages (report form, ticket page with the plan and tasks,
// live board, roster, runbooks, the printable review and its Markdown
// export, the managers' reports with charts drawn as SVG on the server and
// their CSV and JSON, the sharing pages — requests, decisions, grants,
// attribute rules and the desensitized shared view), and the server-sent
// event stream that keeps the board current.
//
// Handlers translate between HTTP and the domain services: they decode and
// validate input (validator with English and Chinese messages), check the
// caller's role through package access, call the service, and map errors to
// statuses in exactly one place (errors.go).
package web
