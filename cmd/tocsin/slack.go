package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/tocsin-hub/tocsin/access"
	"github.com/tocsin-hub/tocsin/escalation"
	"github.com/tocsin-hub/tocsin/incident"
	"github.com/tocsin-hub/tocsin/notify"
	"github.com/tocsin-hub/tocsin/web"
)

// slackDeps are what the Slack side of the hub is built on.
type slackDeps struct {
	Incidents *incident.Service
	Accounts  *access.Service
	Rosters   escalation.RosterReader // nil: people are found through their accounts only
	// Outbox enqueues what the Slack app asks for (an incident channel on
	// request); Refs finds what earlier messages created (the card's
	// "channel:ts"). The outbox store implements Refs.
	Outbox *notify.Outbox
	Refs   notify.Refs
	Log    *slog.Logger
}

// buildSlack builds the Slack side of the hub when chat is on
// (TOCSIN_SLACK_BOT_TOKEN set), and nils when it is off:
//
//   - the sender, to register with the outbox worker for notify.ChannelSlack;
//   - the planner, to register with the Announcer (notify.Announcer.Add),
//     before any incident change is made;
//   - the app, to give web.Deps.Slack.
//
// The Slack app needs the bot scopes chat:write, commands, users:read and
// users:read.email (to match people by e-mail), im:write and im:history
// (pages), groups:write and groups:history (incident channels are
// private), channels:history (to find a post whose outcome was lost);
// the slash command /incident at <base URL>/slack/commands and
// interactivity at <base URL>/slack/interactions.
func buildSlack(cfg Config, d slackDeps) (*notify.SlackSender, *notify.SlackPlanner, *web.SlackApp, error) {
	if !cfg.Slack() {
		return nil, nil, nil, nil
	}
	if d.Incidents == nil || d.Accounts == nil || d.Outbox == nil || d.Refs == nil || d.Log == nil {
		return nil, nil, nil, errors.New("slack: incidents, accounts, outbox, refs and a logger are required")
	}
	opts := []slack.Option{}
	origins := []string{"https://hooks.slack.com"}
	if cfg.SlackAPIURL != "" {
		api := cfg.SlackAPIURL
		if !strings.HasSuffix(api, "/") {
			api += "/"
		}
		opts = append(opts, slack.OptionAPIURL(api))
		// A Slack of one's own (a test server, a proxy) serves its
		// response_url addresses too.
		if u, err := url.Parse(api); err == nil {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	api := slack.New(cfg.SlackBotToken, opts...)
	dir := &slackDirectory{accounts: d.Accounts, rosters: d.Rosters}
	planner := notify.NewSlackPlanner(dir, d.Refs)
	sender := notify.NewSlackSender(notify.SlackSenderConfig{
		API: api, Channel: cfg.SlackChannel, BaseURL: cfg.BaseURL, Incidents: d.Incidents,
		Refs: d.Refs, Directory: dir, Now: time.Now, Logger: d.Log,
	})
	app := &web.SlackApp{
		SigningSecret: cfg.SlackSigningSecret, API: api, ResponseOrigins: origins,
		OpenChannel: func(ctx context.Context, inc *incident.Incident) error {
			msgs, err := planner.OpenChannel(ctx, inc)
			if err != nil {
				d.Log.WarnContext(ctx, "slack: find the people to invite", "incident", inc.Number, "err", err)
			}
			_, err = d.Outbox.Enqueue(ctx, msgs...)
			return err
		},
	}
	d.Log.Info("slack: chat on", "channel", cfg.SlackChannel)
	return sender, planner, app, nil
}

// slackDirectory finds people's Slack ids: the one linked to their
// account (by account id or username), else the Slack contact of the
// roster person with that id (roster ids are usernames).
type slackDirectory struct {
	accounts *access.Service
	rosters  escalation.RosterReader
}

var _ notify.SlackDirectory = (*slackDirectory)(nil)

// SlackID returns person's Slack user id, "" when they have none.
func (d *slackDirectory) SlackID(ctx context.Context, person string) (string, error) {
	u, err := d.accounts.User(ctx, person)
	if errors.Is(err, access.ErrNotFound) {
		u, err = d.accounts.UserByUsername(ctx, person)
	}
	switch {
	case err == nil && u.SlackID != "" && !u.Disabled:
		return u.SlackID, nil
	case err != nil && !errors.Is(err, access.ErrNotFound):
		return "", err
	case err == nil:
		person = u.Username // the roster knows people by username
	}
	if d.rosters == nil {
		return "", nil
	}
	people, err := d.rosters.People(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range people {
		if p.ID == person {
			return slackContact(p), nil
		}
	}
	return "", nil
}

// TeamMembers returns the members of the roster team with id or name
// team.
func (d *slackDirectory) TeamMembers(ctx context.Context, team string) ([]string, error) {
	if d.rosters == nil {
		return nil, nil
	}
	teams, err := d.rosters.Teams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		if t.ID == team || strings.EqualFold(t.Name, team) {
			return t.Members, nil
		}
	}
	return nil, nil
}

func slackContact(p escalation.Person) string {
	for _, c := range p.Contacts {
		if c.Kind == escalation.ContactSlack && c.Value != "" {
			return c.Value
		}
	}
	return ""
}
