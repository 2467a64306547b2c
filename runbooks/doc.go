// Package runbooks will hold the emergency response plans (应急预案) per
// category and level: a YAML format with a schema, built-in plans embedded in
// the binary, and edited versions that incidents pin, so later edits never
// rewrite history.
package runbooks
