package store

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/share"
)

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type partyDoc struct {
	UserID       string `bson:"user_id"`
	Username     string `bson:"username,omitempty"`
	Name         string `bson:"name,omitempty"`
	Organization string `bson:"organization,omitempty"`
	Department   string `bson:"department,omitempty"`
}

func partyToDoc(p share.Party) partyDoc {
	return partyDoc{UserID: p.UserID, Username: p.Username, Name: p.Name, Organization: p.Organization, Department: p.Department}
}

func partyFromDoc(d partyDoc) share.Party {
	return share.Party{UserID: d.UserID, Username: d.Username, Name: d.Name, Organization: d.Organization, Department: d.Department}
}

type grantStepDoc struct {
	At      time.Time    `bson:"at"`
	By      partyDoc     `bson:"by"`
	Action  string       `bson:"action"`
	From    share.Status `bson:"from,omitempty"`
	To      share.Status `bson:"to,omitempty"`
	Comment string       `bson:"comment,omitempty"`
}

func grantStepToDoc(s share.Step) grantStepDoc {
	return grantStepDoc{At: s.At.UTC(), By: partyToDoc(s.By), Action: s.Action, From: s.From, To: s.To, Comment: s.Comment}
}

func grantStepFromDoc(d grantStepDoc) share.Step {
	return share.Step{At: d.At.UTC(), By: partyFromDoc(d.By), Action: d.Action, From: d.From, To: d.To, Comment: d.Comment}
}

type scopeDoc struct {
	Incidents []string        `bson:"incidents"`
	Sections  []share.Section `bson:"sections,omitempty"`
	Reveal    []share.Class   `bson:"reveal,omitempty"`
	Copies    bool            `bson:"copies,omitempty"`
}

type grantDoc struct {
	ID          string         `bson:"_id"`
	Kind        share.Kind     `bson:"kind"`
	Status      share.Status   `bson:"status"`
	Version     int64          `bson:"version"`
	Requester   partyDoc       `bson:"requester"`
	Purpose     string         `bson:"purpose"`
	Scope       scopeDoc       `bson:"scope"`
	From        time.Time      `bson:"from"`
	Until       time.Time      `bson:"until"`
	RatePerHour int            `bson:"rate_per_hour,omitempty"`
	Owner       partyDoc       `bson:"owner"`
	History     []grantStepDoc `bson:"history"`
	CreatedAt   time.Time      `bson:"created_at"`
	UpdatedAt   time.Time      `bson:"updated_at"`
	Reason      string         `bson:"reason,omitempty"`
}

func grantToDoc(g *share.Grant) grantDoc {
	d := grantDoc{ID: g.ID, Kind: g.Kind, Status: g.Status, Version: g.Version, Requester: partyToDoc(g.Requester),
		Purpose: g.Purpose, Scope: scopeDoc{Incidents: g.Scope.Incidents, Sections: g.Scope.Sections, Reveal: g.Scope.Reveal, Copies: g.Scope.Copies},
		From: g.From.UTC(), Until: g.Until.UTC(), RatePerHour: g.RatePerHour, Owner: partyToDoc(g.Owner),
		CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC(), Reason: g.Reason, History: []grantStepDoc{}}
	if d.Scope.Incidents == nil {
		d.Scope.Incidents = []string{}
	}
	for _, s := range g.History {
		d.History = append(d.History, grantStepToDoc(s))
	}
	return d
}

func grantFromDoc(d grantDoc) *share.Grant {
	g := &share.Grant{ID: d.ID, Kind: d.Kind, Status: d.Status, Version: d.Version, Requester: partyFromDoc(d.Requester),
		Purpose: d.Purpose, Scope: share.Scope{Incidents: d.Scope.Incidents, Sections: d.Scope.Sections, Reveal: d.Scope.Reveal, Copies: d.Scope.Copies},
		From: d.From.UTC(), Until: d.Until.UTC(), RatePerHour: d.RatePerHour, Owner: partyFromDoc(d.Owner),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Reason: d.Reason}
	for _, s := range d.History {
		g.History = append(g.History, grantStepFromDoc(s))
	}
	return g
}

type ruleDoc struct {
	ID                string              `bson:"_id"`
	Name              string              `bson:"name"`
	Enabled           bool                `bson:"enabled"`
	Version           int64               `bson:"version"`
	Categories        []incident.Category `bson:"categories,omitempty"`
	Levels            []incident.Level    `bson:"levels,omitempty"`
	IncludeRestricted bool                `bson:"include_restricted,omitempty"`
	Organizations     []string            `bson:"organizations,omitempty"`
	Departments       []string            `bson:"departments,omitempty"`
	Roles             []string            `bson:"roles,omitempty"`
	Systems           []string            `bson:"systems,omitempty"`
	Networks          []string            `bson:"networks,omitempty"`
	Sections          []share.Section     `bson:"sections,omitempty"`
	Reveal            []share.Class       `bson:"reveal,omitempty"`
	Copies            bool                `bson:"copies,omitempty"`
	RatePerHour       int                 `bson:"rate_per_hour,omitempty"`
	Until             time.Time           `bson:"until,omitempty"`
	CreatedBy         partyDoc            `bson:"created_by"`
	CreatedAt         time.Time           `bson:"created_at"`
	UpdatedAt         time.Time           `bson:"updated_at"`
}

func ruleToDoc(r *share.Rule) ruleDoc {
	d := ruleDoc{ID: r.ID, Name: r.Name, Enabled: r.Enabled, Version: r.Version, Categories: r.Categories, Levels: r.Levels,
		IncludeRestricted: r.IncludeRestricted, Organizations: r.Organizations, Departments: r.Departments, Roles: r.Roles,
		Systems: r.Systems, Networks: r.Networks, Sections: r.Sections, Reveal: r.Reveal, Copies: r.Copies,
		RatePerHour: r.RatePerHour, CreatedBy: partyToDoc(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if !r.Until.IsZero() {
		d.Until = r.Until.UTC()
	}
	return d
}

func ruleFromDoc(d ruleDoc) *share.Rule {
	return &share.Rule{ID: d.ID, Name: d.Name, Enabled: d.Enabled, Version: d.Version, Categories: d.Categories, Levels: d.Levels,
		IncludeRestricted: d.IncludeRestricted, Organizations: d.Organizations, Departments: d.Departments, Roles: d.Roles,
		Systems: d.Systems, Networks: d.Networks, Sections: d.Sections, Reveal: d.Reveal, Copies: d.Copies,
		RatePerHour: d.RatePerHour, Until: utcOrZero(d.Until), CreatedBy: partyFromDoc(d.CreatedBy),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

type accessDoc struct {
	ID        string          `bson:"_id"`
	At        time.Time       `bson:"at"`
	Requester partyDoc        `bson:"requester"`
	System    string          `bson:"system,omitempty"`
	Addr      string          `bson:"addr,omitempty"`
	Incident  string          `bson:"incident"`
	Sections  []share.Section `bson:"sections,omitempty"`
	Action    string          `bson:"action"`
	Allowed   bool            `bson:"allowed"`
	Basis     share.Basis     `bson:"basis,omitempty"`
	By        string          `bson:"by,omitempty"`
	Reason    string          `bson:"reason,omitempty"`
	Grants    []string        `bson:"grants,omitempty"`
}

func accessToDoc(a *share.Access) accessDoc {
	return accessDoc{ID: a.ID, At: a.At.UTC(), Requester: partyToDoc(a.Requester), System: a.System, Addr: a.Addr,
		Incident: a.Incident, Sections: a.Sections, Action: a.Action, Allowed: a.Allowed, Basis: a.Basis, By: a.By,
		Reason: a.Reason, Grants: a.Grants}
}

func accessFromDoc(d accessDoc) share.Access {
	return share.Access{ID: d.ID, At: d.At.UTC(), Requester: partyFromDoc(d.Requester), System: d.System, Addr: d.Addr,
		Incident: d.Incident, Sections: d.Sections, Action: d.Action, Allowed: d.Allowed, Basis: d.Basis, By: d.By,
		Reason: d.Reason, Grants: d.Grants}
}

type copyDoc struct {
	ID        string        `bson:"_id"`
	Incident  string        `bson:"incident"`
	Requester partyDoc      `bson:"requester"`
	Basis     share.Basis   `bson:"basis"`
	By        string        `bson:"by"`
	Format    string        `bson:"format"`
	Content   []byte        `bson:"content,omitempty"`
	SHA256    string        `bson:"sha256"`
	CreatedAt time.Time     `bson:"created_at"`
	Withdrawn *grantStepDoc `bson:"withdrawn"`
}

func copyToDoc(c *share.Copy) copyDoc {
	d := copyDoc{ID: c.ID, Incident: c.Incident, Requester: partyToDoc(c.Requester), Basis: c.Basis, By: c.By,
		Format: c.Format, Content: c.Content, SHA256: c.SHA256, CreatedAt: c.CreatedAt.UTC()}
	if c.Withdrawn != nil {
		w := grantStepToDoc(*c.Withdrawn)
		d.Withdrawn = &w
	}
	return d
}

func copyFromDoc(d copyDoc) share.Copy {
	c := share.Copy{ID: d.ID, Incident: d.Incident, Requester: partyFromDoc(d.Requester), Basis: d.Basis, By: d.By,
		Format: d.Format, Content: d.Content, SHA256: d.SHA256, CreatedAt: d.CreatedAt.UTC()}
	if d.Withdrawn != nil {
		w := grantStepFromDoc(*d.Withdrawn)
		c.Withdrawn = &w
	}
	return c
}
