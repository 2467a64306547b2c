package web

import (
	"context"
	"strings"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/notify"
)

// slackOnCall says who is on call now: for one team (by id or name), or
// for every team that has someone on call or must have.
func (s *Server) slackOnCall(ctx context.Context, lang, team string) *slack.WebhookMessage {
	if s.rosters == nil {
		return ephemeral(say(lang, "The roster is not available on this hub.", "本系统未启用值班名册。"))
	}
	now := s.now()
	snap, err := s.snapshot(ctx, now.Add(-dutyWindow), now.Add(dutyWindow))
	if err != nil {
		return ephemeral(s.slackProblem(lang, err))
	}
	var teams []escalation.Team
	for _, t := range snap.teams {
		switch {
		case team == "":
			if t.Rotation != nil || t.Critical || len(escalation.OnCallAt(t, snap.overrides, now)) > 0 {
				teams = append(teams, t)
			}
		case strings.EqualFold(t.ID, team) || strings.EqualFold(t.Name, team):
			teams = append(teams, t)
		}
	}
	if len(teams) == 0 {
		return ephemeral(say(lang, "No such team in the roster.", "名册中没有该团队。"))
	}
	var lines []string
	for _, t := range teams {
		oc := onCallOf(snap, t, now)
		var people []string
		for _, pr := range oc.People {
			who := notify.EscapeMrkdwn(pr.Name)
			for _, ct := range pr.Contacts {
				if ct.Kind == string(escalation.ContactSlack) && ct.Value != "" {
					who += " (<@" + notify.EscapeMrkdwn(ct.Value) + ">)"
					break
				}
			}
			people = append(people, who)
		}
		line := "*" + notify.EscapeMrkdwn(t.Name) + "*: "
		if len(people) == 0 {
			line += say(lang, "nobody on call", "无人值班")
		} else {
			line += strings.Join(people, ", ") + " · " + say(lang, "until", "至") + " " + oc.ShiftEnd.UTC().Format("01-02 15:04 UTC")
		}
		lines = append(lines, line)
	}
	return ephemeral(strings.Join(lines, "\n"))
}
