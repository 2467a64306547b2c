// Package notify will deliver what Tocsin has to say to people: one Notifier
// interface with Slack, e-mail, webhook and WeCom/DingTalk/Feishu robot
// implementations, behind a durable outbox that retries and never sends one
// event twice. Until it lands, incident changes reach people through the live
// board (package web) and the log.
package notify
