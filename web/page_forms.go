package web

import (
	"html/template"
	"strings"

	"github.com/tocsin-hub/tocsin/incident"
)

// formView is a form as the "form" template draws it: the same markup for
// the report form and every form on the ticket page, so labels, help texts,
// error messages and their ARIA wiring are done once.
type formView struct {
	ID         string // unique on the page; prefixes field ids
	Title      string
	Intro      string
	Action     string
	Submit     string
	Danger     bool // a destructive action (reject): drawn in the warning style
	CSRF       template.HTML
	Hidden     []hiddenField
	Fields     []field
	Conditions []condView // the target stage's entry conditions, when moving
	Error      string     // a problem with the whole form
	Missing    []string   // entry conditions still missing after a try
}

type hiddenField struct{ Name, Value string }

// field is one input with its label, help, current value and error.
type field struct {
	ID       string
	Name     string
	Kind     string // text, textarea, select, radio, checkbox, datetime-local, number
	Label    string
	Help     string
	Value    string
	Error    string
	Required bool
	MaxLen   int
	Rows     int
	Options  []option
}

// Describe is the aria-describedby list of the field.
func (f field) Describe() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.ID+"-help")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

type option struct {
	Value    string
	Label    string
	Hint     string // longer explanation under a radio button
	Selected bool
}

// condView is one entry condition and whether the incident meets it now.
type condView struct {
	Text string
	Met  bool
}

// formState is what was posted to a form that failed, so the page can be
// drawn again with the values kept and the messages next to the fields.
type formState struct {
	Which   string            // the form's ID
	Values  map[string]string // posted values by name
	Errors  map[string]string // messages by field name
	Problem string            // a message for the whole form
	Missing []string          // missing entry conditions, as messages
}

// value returns the posted value of name if this is the form that was
// posted, else def.
func (st formState) value(form, name, def string) string {
	if st.Which == form && st.Values != nil {
		return st.Values[name]
	}
	return def
}

// apply copies the state's messages into form f when f is the posted form.
func (st formState) apply(f *formView) {
	if st.Which != f.ID {
		return
	}
	f.Error, f.Missing = st.Problem, st.Missing
	for i := range f.Fields {
		f.Fields[i].Error = st.Errors[f.Fields[i].Name]
	}
	// A message for a field the form does not show (e.g. "version") is
	// shown for the whole form, so it is never lost.
	for name, m := range st.Errors {
		if !f.has(name) {
			if f.Error != "" {
				f.Error += " "
			}
			f.Error += m
		}
	}
}

func (f *formView) has(name string) bool {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return true
		}
	}
	return false
}

// add appends a field whose id is derived from the form's.
func (f *formView) add(fl field) {
	fl.ID = f.ID + "-" + strings.ReplaceAll(fl.Name, "_", "-")
	f.Fields = append(f.Fields, fl)
}

// fieldName is the form field a validation message belongs to:
// "affected_assets[3]" and "assignees[0].name" belong to their list.
func fieldName(key string) string {
	if i := strings.IndexAny(key, "[."); i > 0 {
		return key[:i]
	}
	return key
}

// fieldMessages merges validation and domain field errors into messages by
// form field name in language l.
func fieldMessages(l string, err error) map[string]string {
	out := map[string]string{}
	switch e := err.(type) {
	case fieldErrors:
		for k, v := range e {
			if _, dup := out[fieldName(k)]; !dup {
				out[fieldName(k)] = v
			}
		}
	case *incident.InvalidError:
		for k, v := range e.Fields {
			out[fieldName(k)] = msg(l, v.EN, v.ZH)
		}
	}
	return out
}

// levelOptions lists the levels with their definitions; notSure adds an
// empty choice first.
func levelOptions(l string, selected incident.Level, notSure bool) []option {
	var out []option
	if notSure {
		out = append(out, option{Value: "", Label: T(l, "choice.not_sure"), Hint: T(l, "report.level_not_sure_hint"), Selected: selected == ""})
	}
	for _, li := range incident.Levels() {
		out = append(out, option{Value: string(li.Level), Label: msg(l, li.NameEN, li.NameZH),
			Hint: msg(l, li.DefinitionEN, li.DefinitionZH), Selected: li.Level == selected})
	}
	return out
}

// categoryOptions lists the ten categories with examples; empty adds a
// first choice with value "" labelled empty.
func categoryOptions(l string, selected incident.Category, empty string) []option {
	var out []option
	if empty != "" {
		out = append(out, option{Value: "", Label: empty, Selected: selected == ""})
	}
	for _, ci := range incident.Categories() {
		out = append(out, option{Value: string(ci.Category),
			Label:    msg(l, ci.NameEN, ci.NameZH) + " — " + msg(l, ci.ExamplesEN, ci.ExamplesZH),
			Selected: ci.Category == selected})
	}
	return out
}

func scopeOptions(l string, selected incident.Scope, notSure bool) []option {
	var out []option
	if notSure {
		out = append(out, option{Value: "", Label: T(l, "choice.not_sure"), Selected: selected == ""})
	}
	for _, sc := range []incident.Scope{incident.Local, incident.Global} {
		out = append(out, option{Value: string(sc), Label: scopeName(l, sc), Hint: T(l, "scope."+string(sc)+".hint"), Selected: sc == selected})
	}
	return out
}

func natureOptions(l string, selected incident.Nature) []option {
	out := []option{{Value: "", Label: T(l, "choice.not_yet"), Selected: selected == ""}}
	for _, n := range []incident.Nature{incident.MaliciousAttack, incident.HumanError, incident.NaturalDisaster} {
		out = append(out, option{Value: string(n), Label: natureName(l, n), Selected: n == selected})
	}
	return out
}
