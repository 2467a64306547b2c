// Package notify holds what Tocsin has to say to people and how it gets
// there. Every message (a page, a missed deadline, a card, a reporter's
// feedback) is stored once in the outbox under its idempotency key, so
// nothing is sent twice for one event; the Announcer plans what each
// incident change calls for. The Worker delivers the outbox through one
// Sender per channel (Slack, e-mail, webhooks, the WeCom/DingTalk/Feishu
// robots), with claims, retries, pacing per destination and a rule for
// sends whose outcome was lost (ADR 0004); a channel without a Sender is
// logged, so every notification is visible even with chat switched off.
// ReviewWork writes the review's periodic messages: reminders to the
// owners of corrective actions and the weekly and monthly manager reports.
package notify
