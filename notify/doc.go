// Package notify holds what Tocsin has to say to people and how it gets
// there. Today it is the outbox: every message (a page, a missed deadline, a
// handover request, a coverage warning) is stored once under its idempotency
// key and logged, so nothing is sent twice for one event and every
// notification is visible even with chat switched off. Delivery to Slack,
// e-mail, webhooks and the WeCom/DingTalk/Feishu robots builds on it.
package notify
