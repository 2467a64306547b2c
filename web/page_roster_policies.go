package web

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
)

// policiesPage is the data of /roster/policies: each level's chain and
// deadlines, with a form per level for admins.
type policiesPage struct {
	common
	CanEdit bool
	Notice  string
	Levels  []policyView
}

type policyView struct {
	Level     string
	Name      string
	Steps     []string
	Deadlines []factView
	Form      *formView
}

func (s *Server) rosterPolicies(c *gin.Context) {
	notice := ""
	if c.Query("saved") != "" {
		notice = T(lang(c), "roster.saved")
	}
	s.renderPolicies(c, http.StatusOK, formState{}, notice)
}

func (s *Server) renderPolicies(c *gin.Context, status int, st formState, notice string) {
	l := lang(c)
	p := principal(c)
	ps, err := s.rosters.Policies(c.Request.Context())
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	c.Set(ctxHere, "/roster/policies")
	v := policiesPage{common: s.common(c, T(l, "policy.title"), "roster"), CanEdit: access.CanEditPolicy(p), Notice: notice}
	csrf := csrfInput(csrfToken(c))
	for _, pol := range ps {
		pv := policyView{Level: string(pol.Level), Name: levelName(l, pol.Level)}
		var lines []string
		for _, st := range pol.Steps {
			lines = append(lines, stepLine(st))
		}
		pv.Steps = lines
		ds := pol.Deadlines
		pv.Deadlines = []factView{
			{Label: T(l, "policy.ack"), Value: ds.Ack.String()}, {Label: T(l, "policy.confirm"), Value: ds.Confirm.String()},
			{Label: T(l, "policy.dispatch"), Value: ds.Dispatch.String()}, {Label: T(l, "policy.handle"), Value: ds.Handle.String()},
		}
		if v.CanEdit {
			id := "policy-" + string(pol.Level)
			val := func(name, def string) string { return st.value(id, name, def) }
			f := formView{ID: id, Title: T(l, "policy.edit", pv.Name), Action: "/roster/policies/" + string(pol.Level),
				Submit: T(l, "roster.save"), CSRF: csrf}
			f.add(field{Name: "steps", Kind: "textarea", Rows: max(len(lines)+1, 4), Label: T(l, "policy.steps"), Help: T(l, "policy.steps_help"),
				Required: true, Value: val("steps", strings.Join(lines, "\n"))})
			for _, d := range []struct{ name, def string }{{"ack", ds.Ack.String()}, {"confirm", ds.Confirm.String()},
				{"dispatch", ds.Dispatch.String()}, {"handle", ds.Handle.String()}} {
				f.add(field{Name: "deadlines_" + d.name, Kind: "text", Label: T(l, "policy."+d.name), Required: true, MaxLen: 32,
					Value: val("deadlines_"+d.name, d.def)})
			}
			st.apply(&f)
			pv.Form = &f
		}
		v.Levels = append(v.Levels, pv)
	}
	s.render(c, status, "roster_policies", v)
}

// stepLine writes a step the way the policy form reads it:
// "oncall assessment repeat=1", "role management security_manager delay=5m".
func stepLine(st escalation.Step) string {
	t := st.Target
	var parts []string
	switch t.Kind {
	case escalation.TargetPerson:
		parts = []string{string(t.Kind), t.Person}
	case escalation.TargetRole:
		parts = []string{string(t.Kind), t.Team, string(t.Role)}
	default:
		parts = []string{string(t.Kind), t.Team}
	}
	if st.Delay != 0 {
		parts = append(parts, "delay="+st.Delay.String())
	}
	if st.Repeat != 0 {
		parts = append(parts, "repeat="+strconv.Itoa(st.Repeat))
	}
	return strings.Join(parts, " ")
}

// parseSteps reads the policy form's steps, one a line (see stepLine). Its
// errors name the line.
func parseSteps(l, text string) ([]stepJSON, error) {
	var out []stepJSON
	var problems []string
	n := 0
	for i, ln := range strings.Split(text, "\n") {
		words := strings.Fields(ln)
		if len(words) == 0 {
			continue
		}
		n++
		bad := func(en, zh string) {
			problems = append(problems, msg(l, fmt.Sprintf("line %d: %s", i+1, en), fmt.Sprintf("第 %d 行：%s", i+1, zh)))
		}
		var st stepJSON
		var args []string
		for _, w := range words {
			switch {
			case strings.HasPrefix(w, "delay="):
				st.Delay = strings.TrimPrefix(w, "delay=")
			case strings.HasPrefix(w, "repeat="):
				r, err := strconv.Atoi(strings.TrimPrefix(w, "repeat="))
				if err != nil {
					bad("repeat must be a whole number", "repeat 须为整数")
				}
				st.Repeat = r
			default:
				args = append(args, w)
			}
		}
		want := map[string]int{"oncall": 2, "lead": 2, "team": 2, "person": 2, "role": 3}
		if len(args) == 0 || want[args[0]] == 0 {
			bad("start with oncall, lead, team, role or person", "须以 oncall、lead、team、role 或 person 开头")
			continue
		}
		if len(args) != want[args[0]] {
			bad("write “oncall TEAM”, “lead TEAM”, “team TEAM”, “role TEAM ROLE” or “person PERSON”",
				"格式为“oncall 团队”“lead 团队”“team 团队”“role 团队 角色”或“person 人员”")
			continue
		}
		st.Target.Kind = args[0]
		switch args[0] {
		case "person":
			st.Target.Person = args[1]
		case "role":
			st.Target.Team, st.Target.Role = args[1], args[2]
		default:
			st.Target.Team = args[1]
		}
		out = append(out, st)
	}
	if len(problems) > 0 {
		return out, fieldErrors{"steps": strings.Join(problems, "; ")}
	}
	if n == 0 {
		return out, fieldErrors{"steps": msg(l, "a policy needs at least one step", "策略至少需要一个步骤")}
	}
	return out, nil
}

func (s *Server) rosterSavePolicy(c *gin.Context) {
	l := lang(c)
	lv, err := levelParam(c)
	if err != nil {
		s.pageError(c, http.StatusNotFound, err)
		return
	}
	id := "policy-" + string(lv)
	st := formState{Which: id, Values: postedValues(c)}
	req := policyJSON{Deadlines: deadlinesJSON{Ack: c.PostForm("deadlines_ack"), Confirm: c.PostForm("deadlines_confirm"),
		Dispatch: c.PostForm("deadlines_dispatch"), Handle: c.PostForm("deadlines_handle")}}
	req.Steps, err = parseSteps(l, c.PostForm("steps"))
	if err == nil {
		err = validation().check(&req, l)
	}
	var pol escalation.Policy
	if err == nil {
		pol, err = req.policy(lv, l)
	}
	if err == nil {
		err = s.savePolicy(c.Request.Context(), pol, l)
	}
	if err != nil {
		status := statusOf(err)
		if status != http.StatusBadRequest {
			s.pageError(c, status, err)
			return
		}
		st.Errors = formErrors(l, err, func(key string) string {
			var i int
			if _, err := fmt.Sscanf(key, "steps[%d]", &i); err == nil {
				return "steps"
			}
			return formField(key)
		})
		// A step's message says which line it is about.
		if inv := stepMessages(l, err); inv != "" {
			st.Errors["steps"] = inv
		}
		st.Problem = T(l, "form.fix_fields")
		s.renderPolicies(c, status, st, "")
		return
	}
	s.log.Info("roster: escalation policy saved", "level", lv, "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/roster/policies?saved="+string(lv))
}

// stepMessages rewrites the messages about steps[i] as "step i+1: …" for
// the policy form, whose steps are its lines; "" when there are none.
func stepMessages(l string, err error) string {
	all := messagesByKey(l, err)
	var keys []string
	for k := range all {
		if strings.HasPrefix(k, "steps[") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		var i int
		if _, err := fmt.Sscanf(k, "steps[%d]", &i); err != nil {
			continue
		}
		parts = append(parts, msg(l, fmt.Sprintf("step %d: %s", i+1, all[k]), fmt.Sprintf("第 %d 步：%s", i+1, all[k])))
	}
	if all["steps"] != "" {
		parts = append([]string{all["steps"]}, parts...)
	}
	return strings.Join(parts, "; ")
}
