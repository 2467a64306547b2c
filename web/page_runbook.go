package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/runbooks"
)

// The runbook pages: the list, one runbook (any version) with its history,
// and the editor, a YAML text area checked on save with every problem
// listed at its line. Saving makes a new version; incidents keep the
// version they chose.

func (s *Server) runbookPageRoutes(r *gin.Engine) {
	read := []gin.HandlerFunc{s.requirePage(access.CanReadRunbooks), s.needRunbooksPage}
	edit := []gin.HandlerFunc{s.requirePage(access.CanEditRunbooks), s.needRunbooksPage}
	r.GET("/runbooks", append(read, s.runbookList)...)
	r.GET("/runbooks/new", append(edit, s.runbookNew)...)
	r.POST("/runbooks/new", append(edit, s.runbookCreate)...)
	r.GET("/runbooks/:id", append(read, s.runbookView)...)
	r.GET("/runbooks/:id/edit", append(edit, s.runbookEdit)...)
	r.POST("/runbooks/:id/edit", append(edit, s.runbookSave)...)
}

func (s *Server) needRunbooksPage(c *gin.Context) {
	if s.runbooks == nil {
		s.pageError(c, http.StatusServiceUnavailable, errNoRunbooks)
		c.Abort()
	}
}

type runbookListPage struct {
	common
	Items           []runbookRow
	CanEdit         bool
	Category        string
	CategoryOptions []option
}

type runbookRow struct {
	ID         string
	Title      string
	Summary    string
	Categories string
	Levels     string
	Version    int
	Steps      int
	Builtin    bool
	URL        string
}

func categoriesText(l string, cs []incident.Category) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = categoryName(l, c)
	}
	return strings.Join(names, ", ")
}

func levelsText(l string, ls []incident.Level) string {
	if len(ls) == 0 {
		return T(l, "runbook.all_levels")
	}
	names := make([]string, len(ls))
	for i, lv := range ls {
		names[i] = levelName(l, lv)
	}
	return strings.Join(names, ", ")
}

func (s *Server) runbookList(c *gin.Context) {
	l := lang(c)
	cat := incident.Category(c.Query("category"))
	if cat != "" && !cat.Valid() {
		s.pageError(c, http.StatusBadRequest, fieldErrors{"category": msg(l, "unknown category", "未知的事件类别")})
		return
	}
	all, err := s.runbooks.List(c.Request.Context())
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	v := runbookListPage{common: s.common(c, T(l, "runbook.list_title"), "runbooks"), CanEdit: access.CanEditRunbooks(principal(c)),
		Category: string(cat), CategoryOptions: categoryOptions(l, cat, T(l, "runbook.any_category"))}
	for _, rb := range all {
		if cat != "" && !rb.Covers(cat) {
			continue
		}
		v.Items = append(v.Items, runbookRow{ID: rb.ID, Title: rb.Title.In(l), Summary: rb.Summary.In(l),
			Categories: categoriesText(l, rb.Categories), Levels: levelsText(l, rb.Levels), Version: rb.Version,
			Steps: len(rb.Steps), Builtin: rb.Builtin && rb.Version == 1, URL: "/runbooks/" + rb.ID})
	}
	s.render(c, http.StatusOK, "runbooks", v)
}

type runbookPage struct {
	common
	ID         string
	Title      string
	Summary    string
	Version    int
	Current    int
	IsCurrent  bool
	Categories string
	Levels     string
	Saved      string
	Groups     []rbStepGroup
	Contacts   []planContactView
	Rules      []ruleView
	History    []versionRow
	CanEdit    bool
}

type rbStepGroup struct {
	Name  string
	Steps []rbStepView
}

type rbStepView struct {
	ID, Title, Detail, Phase, Owner, Duration, Evidence string
	Required                                            bool
}

type versionRow struct {
	Version int
	URL     string
	Text    string
	Note    string
	Shown   bool
}

func (s *Server) runbookView(c *gin.Context) {
	l := lang(c)
	v, err := queryVersion(c)
	if err != nil {
		s.pageError(c, http.StatusBadRequest, err)
		return
	}
	ctx := c.Request.Context()
	id := c.Param("id")
	rb, err := s.runbooks.Get(ctx, id, v)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	cur, err := s.runbooks.Get(ctx, id, 0)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	hist, err := s.runbooks.History(ctx, id)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	page := runbookPage{common: s.common(c, rb.Title.In(l), "runbooks"), ID: rb.ID, Title: rb.Title.In(l), Summary: rb.Summary.In(l),
		Version: rb.Version, Current: cur.Version, IsCurrent: rb.Version == cur.Version,
		Categories: categoriesText(l, rb.Categories), Levels: levelsText(l, rb.Levels),
		CanEdit: access.CanEditRunbooks(principal(c))}
	if e := rb.Edited; e != nil {
		page.Saved = T(l, "runbook.saved_by", e.By.Name, fmtTime(e.At))
	} else {
		page.Saved = T(l, "runbook.builtin")
	}
	names := map[incident.Stage]string{incident.Confirm: "work.group_confirm", incident.Plan: "work.group_plan", incident.Handle: "work.group_handle"}
	for _, stg := range incident.TaskStages() {
		g := rbStepGroup{Name: T(l, names[stg])}
		for _, st := range rb.StepsOf(stg) {
			sv := rbStepView{ID: st.ID, Title: st.Title.In(l), Detail: st.Detail.In(l), Duration: runbooks.FormatDuration(st.Duration),
				Evidence: st.Evidence.In(l), Required: st.Required}
			if st.Phase != "" {
				sv.Phase = T(l, "phase."+string(st.Phase))
			}
			var owner []string
			if st.Role != "" {
				owner = append(owner, roleName(l, st.Role))
			}
			if st.Team != "" {
				owner = append(owner, T(l, "work.team", st.Team))
			}
			sv.Owner = strings.Join(owner, " · ")
			g.Steps = append(g.Steps, sv)
		}
		if len(g.Steps) > 0 {
			page.Groups = append(page.Groups, g)
		}
	}
	for _, ct := range rb.Contacts {
		page.Contacts = append(page.Contacts, planContactView{Name: ct.Name.In(l), Kind: tOr(l, "contact."+ct.Kind, ct.Kind),
			Phone: ct.Phone, Email: ct.Email, When: ct.When.In(l)})
	}
	for _, r := range rb.Rules {
		rv := ruleView{Audience: r.Audience.In(l), When: r.When.In(l), Owner: roleName(l, r.Owner), Required: r.Required}
		if r.Within > 0 {
			rv.Within = T(l, "work.within", runbooks.FormatDuration(r.Within))
		}
		page.Rules = append(page.Rules, rv)
	}
	for _, h := range hist {
		row := versionRow{Version: h.Version, URL: "/runbooks/" + rb.ID + "?version=" + strconv.Itoa(h.Version), Shown: h.Version == rb.Version}
		if h.Edit != nil {
			row.Text, row.Note = T(l, "runbook.saved_by", h.Edit.By.Name, fmtTime(h.Edit.At)), h.Edit.Note
		} else {
			row.Text = T(l, "runbook.builtin")
		}
		page.History = append(page.History, row)
	}
	s.render(c, http.StatusOK, "runbook", page)
}

type runbookEditPage struct {
	common
	New      bool
	ID       string
	Base     int
	Action   string
	Source   string
	Note     string
	Problems []problemJSON
	Error    string
}

// newRunbookTemplate is the starting point of a new runbook.
const newRunbookTemplate = `# A runbook: see the built-in ones for complete examples.
id: my-runbook
title:
  en: Title in English
  zh: 中文标题
summary:
  en: What the runbook is for and its approach.
  zh: 预案适用的情形及处置思路。
categories: [other]
levels: [serious, special]
steps:
  confirm:
    - id: facts
      title:
        en: Establish the facts
        zh: 查明事实
      role: coordinator
      required: true
      duration: 1h
      evidence:
        en: Fact sheet
        zh: 事实说明
  handle:
    - id: contain
      phase: isolate
      title:
        en: Contain the harm
        zh: 控制危害
      role: security_manager
      required: true
      duration: 2h
      evidence:
        en: Containment actions and times
        zh: 控制措施及时间
contacts:
  - name:
      en: Local public security bureau, cyber security unit
      zh: 属地公安机关网安部门
    kind: police
    phone: "110"
    when:
      en: When a crime is suspected
      zh: 怀疑涉及违法犯罪时
communication:
  - audience:
      en: Security manager
      zh: 安全负责人
    when:
      en: When the incident is confirmed
      zh: 确认事件时
    within: 1h
    owner: coordinator
    required: true
`

func (s *Server) runbookNew(c *gin.Context) {
	l := lang(c)
	s.render(c, http.StatusOK, "runbook_edit", runbookEditPage{common: s.common(c, T(l, "runbook.new_title"), "runbooks"),
		New: true, Action: "/runbooks/new", Source: newRunbookTemplate})
}

func (s *Server) runbookEdit(c *gin.Context) {
	l := lang(c)
	rb, err := s.runbooks.Get(c.Request.Context(), c.Param("id"), 0)
	if err != nil {
		s.pageError(c, statusOf(err), err)
		return
	}
	s.render(c, http.StatusOK, "runbook_edit", runbookEditPage{common: s.common(c, T(l, "runbook.edit_title", rb.Title.In(l)), "runbooks"),
		ID: rb.ID, Base: rb.Version, Action: "/runbooks/" + rb.ID + "/edit", Source: rb.Source})
}

func (s *Server) runbookCreate(c *gin.Context) {
	l := lang(c)
	src, note := c.PostForm("yaml"), c.PostForm("note")
	rb, err := s.runbooks.Create(c.Request.Context(), src, note, actor(principal(c)))
	if err != nil {
		s.runbookFailed(c, runbookEditPage{common: s.common(c, T(l, "runbook.new_title"), "runbooks"),
			New: true, Action: "/runbooks/new", Source: src, Note: note}, err)
		return
	}
	s.log.Info("runbook created", "runbook", rb.Ref(), "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/runbooks/"+rb.ID)
}

func (s *Server) runbookSave(c *gin.Context) {
	l := lang(c)
	id := c.Param("id")
	src, note := c.PostForm("yaml"), c.PostForm("note")
	base, _ := strconv.Atoi(c.PostForm("base_version"))
	rb, err := s.runbooks.Save(c.Request.Context(), id, base, src, note, actor(principal(c)))
	if err != nil {
		s.runbookFailed(c, runbookEditPage{common: s.common(c, T(l, "runbook.edit_title", id), "runbooks"),
			ID: id, Base: base, Action: "/runbooks/" + id + "/edit", Source: src, Note: note}, err)
		return
	}
	s.log.Info("runbook saved", "runbook", rb.Ref(), "by", principal(c).UserID)
	c.Redirect(http.StatusSeeOther, "/runbooks/"+rb.ID)
}

// runbookFailed draws the editor again with the text as posted and what is
// wrong: every problem at its line, or why the save was refused.
func (s *Server) runbookFailed(c *gin.Context, page runbookEditPage, err error) {
	l := lang(c)
	status := statusOf(err)
	var problems runbooks.Problems
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			page.Problems = append(page.Problems, toProblemJSON(p, l))
		}
		page.Error = T(l, "runbook.has_problems", len(problems))
	case errors.Is(err, runbooks.ErrStale):
		page.Error = T(l, "runbook.stale")
	case errors.Is(err, runbooks.ErrExists):
		page.Error = T(l, "runbook.exists")
	case status < 500:
		page.Error = errorText(l, status, err)
	default:
		s.pageError(c, status, err)
		return
	}
	s.render(c, status, "runbook_edit", page)
}
