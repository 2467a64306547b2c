package web

// Exported for tests of package web_test.

// AuditRuleFor reports whether route ("METHOD path") has an audit rule.
func AuditRuleFor(route string) bool { _, ok := auditRules[route]; return ok }
