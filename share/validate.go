package share

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin-hub/tocsin/incident"
)

// Limits on the other free-text fields (characters).
const (
	MaxName      = 200 // a rule's name
	maxAttribute = 200 // an organization, department or system name
	maxListed    = 100 // values in one of a rule's lists
)

// roleNames are the roles a rule may name (access.Roles; access's tests
// check that the two lists agree, as share cannot import access).
var roleNames = []string{"reporter", "responder", "coordinator", "manager", "auditor", "admin"}

// fieldErrors gathers field errors in both languages, the first per field.
type fieldErrors struct{ e *incident.InvalidError }

func (f *fieldErrors) add(field, en, zh string) {
	if f.e == nil {
		f.e = &incident.InvalidError{Fields: map[string]incident.Message{}}
	}
	if _, dup := f.e.Fields[field]; !dup {
		f.e.Fields[field] = incident.Message{EN: en, ZH: zh}
	}
}

// err is the gathered errors, or nil (a nil error, not a nil pointer).
func (f *fieldErrors) err() error {
	if f.e == nil {
		return nil
	}
	return f.e
}

func invalid(field, en, zh string) error {
	var f fieldErrors
	f.add(field, en, zh)
	return f.err()
}

// ValidSection reports whether s is a known section.
func ValidSection(s Section) bool { return slices.Contains(Sections(), s) }

// ValidClass reports whether c is a known class.
func ValidClass(c Class) bool { return slices.Contains(Classes(), c) }

// limitOf is the latest Until a grant of kind starting at from may have,
// and the limit's name in both languages.
func limitOf(kind Kind, from time.Time) (time.Time, string, string) {
	if kind == Emergency {
		return from.Add(MaxEmergency), "14 days", "14 天"
	}
	return from.AddDate(MaxApplicationYears, 0, 0), "3 years", "3 年"
}

// ValidateRequest checks r field by field at now (*incident.InvalidError,
// en and zh). Whether the incidents exist is the Service's to check.
func ValidateRequest(r Request, now time.Time) error {
	var f fieldErrors
	if r.Kind != Application && r.Kind != Emergency {
		f.add("kind", "must be application or emergency", "必须为 application（申请授权）或 emergency（应急授权）")
	}
	switch n := utf8.RuneCountInString(strings.TrimSpace(r.Purpose)); {
	case n == 0:
		f.add("purpose", "say what the information is needed for", "请说明使用目的")
	case utf8.RuneCountInString(r.Purpose) > MaxPurpose:
		f.add("purpose", fmt.Sprintf("at most %d characters", MaxPurpose), fmt.Sprintf("不能超过 %d 个字符", MaxPurpose))
	}
	switch {
	case len(r.Incidents) == 0:
		f.add("incidents", "name at least one incident", "请至少填写一个事件编号")
	case len(r.Incidents) > MaxIncidents:
		f.add("incidents", fmt.Sprintf("at most %d incidents", MaxIncidents), fmt.Sprintf("最多 %d 个事件", MaxIncidents))
	default:
		for _, n := range r.Incidents {
			if strings.TrimSpace(n) == "" || len(n) > maxAttribute {
				f.add("incidents", "an incident number is empty or too long", "事件编号为空或过长")
				break
			}
		}
	}
	checkSections(&f, r.Sections)
	checkReveal(&f, r.Reveal)
	checkPeriod(&f, r.Kind, r.From, r.Until, now)
	checkRate(&f, r.RatePerHour)
	return f.err()
}

func checkSections(f *fieldErrors, ss []Section) {
	for _, s := range ss {
		if !ValidSection(s) {
			f.add("sections", fmt.Sprintf("unknown section %q", s), fmt.Sprintf("未知的信息部分 %q", s))
			return
		}
	}
}

func checkReveal(f *fieldErrors, cs []Class) {
	for _, c := range cs {
		if !ValidClass(c) {
			f.add("reveal", fmt.Sprintf("unknown data class %q", c), fmt.Sprintf("未知的数据类别 %q", c))
			return
		}
	}
}

func checkRate(f *fieldErrors, rate int) {
	if rate < 0 || rate > MaxRate {
		f.add("rate_per_hour", fmt.Sprintf("must be between 0 (the default, %d) and %d", DefaultRate, MaxRate),
			fmt.Sprintf("必须在 0（默认 %d）到 %d 之间", DefaultRate, MaxRate))
	}
}

// checkPeriod checks a requested period: From no earlier than an hour
// before now, Until after From and within the kind's limit.
func checkPeriod(f *fieldErrors, kind Kind, from, until time.Time, now time.Time) {
	switch {
	case from.IsZero():
		f.add("from", "say when access should start", "请填写开始时间")
	case from.Before(now.Add(-time.Hour)):
		f.add("from", "cannot start more than an hour in the past", "开始时间不能早于当前时间一小时以上")
	}
	switch {
	case until.IsZero():
		f.add("until", "say when access should end", "请填写结束时间")
	case !from.IsZero() && !until.After(from):
		f.add("until", "must be after the start", "结束时间必须晚于开始时间")
	case !from.IsZero():
		if limit, en, zh := limitOf(kind, from); until.After(limit) {
			what, whatZH := "an application", "申请授权"
			if kind == Emergency {
				what, whatZH = "an emergency grant", "应急授权"
			}
			f.add("until", fmt.Sprintf("%s lasts at most %s: end by %s", what, en, limit.UTC().Format(time.RFC3339)),
				fmt.Sprintf("%s最长 %s：结束时间不能晚于 %s", whatZH, zh, limit.UTC().Format(time.RFC3339)))
		}
	}
}

// checkComment requires a comment (to reject, return or revoke) of at
// most MaxComment characters.
func checkComment(field, comment string, required bool) error {
	switch {
	case required && strings.TrimSpace(comment) == "":
		return invalid(field, "a comment is required", "请填写意见或理由")
	case utf8.RuneCountInString(comment) > MaxComment:
		return invalid(field, fmt.Sprintf("at most %d characters", MaxComment), fmt.Sprintf("不能超过 %d 个字符", MaxComment))
	}
	return nil
}

// ValidateRule checks r field by field (*incident.InvalidError, en and zh).
func ValidateRule(r Rule) error {
	var f fieldErrors
	switch n := utf8.RuneCountInString(strings.TrimSpace(r.Name)); {
	case n == 0:
		f.add("name", "name the rule", "请填写规则名称")
	case utf8.RuneCountInString(r.Name) > MaxName:
		f.add("name", fmt.Sprintf("at most %d characters", MaxName), fmt.Sprintf("不能超过 %d 个字符", MaxName))
	}
	for _, c := range r.Categories {
		if !c.Valid() {
			f.add("categories", fmt.Sprintf("unknown category %q", c), fmt.Sprintf("未知的事件类别 %q", c))
			break
		}
	}
	for _, l := range r.Levels {
		if !l.Valid() {
			f.add("levels", fmt.Sprintf("unknown level %q", l), fmt.Sprintf("未知的事件级别 %q", l))
			break
		}
	}
	checkNames(&f, "organizations", r.Organizations)
	checkNames(&f, "departments", r.Departments)
	checkNames(&f, "systems", r.Systems)
	checkNames(&f, "roles", r.Roles)
	for _, role := range r.Roles {
		if !slices.Contains(roleNames, role) {
			f.add("roles", fmt.Sprintf("unknown role %q", role), fmt.Sprintf("未知的角色 %q", role))
			break
		}
	}
	checkNames(&f, "networks", r.Networks)
	for _, n := range r.Networks {
		if _, err := netip.ParsePrefix(strings.TrimSpace(n)); err != nil {
			f.add("networks", fmt.Sprintf("%q is not a network (CIDR, e.g. 10.20.0.0/16)", n),
				fmt.Sprintf("%q 不是有效的网段（CIDR，如 10.20.0.0/16）", n))
			break
		}
	}
	if !r.namesRequesterOrSystem() {
		f.add("organizations", "name at least one organization, department, role, system or network",
			"请至少指定一个单位、部门、角色、系统或网段")
	}
	checkSections(&f, r.Sections)
	checkReveal(&f, r.Reveal)
	checkRate(&f, r.RatePerHour)
	return f.err()
}

// checkNames requires each value of a rule's list to be non-empty and short.
func checkNames(f *fieldErrors, field string, vs []string) {
	if len(vs) > maxListed {
		f.add(field, fmt.Sprintf("at most %d values", maxListed), fmt.Sprintf("最多 %d 项", maxListed))
		return
	}
	for _, v := range vs {
		if strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > maxAttribute {
			f.add(field, fmt.Sprintf("values must be 1 to %d characters", maxAttribute), fmt.Sprintf("每项须为 1 到 %d 个字符", maxAttribute))
			return
		}
	}
}

// namesRequesterOrSystem reports whether r names a requester or system
// attribute: a rule over information attributes alone would share with
// everyone.
func (r Rule) namesRequesterOrSystem() bool {
	return len(r.Organizations)+len(r.Departments)+len(r.Roles)+len(r.Systems)+len(r.Networks) > 0
}
