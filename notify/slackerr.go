package notify

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/slack-go/slack"
)

// slackPermanent are the Slack error codes that no retry can fix: a
// revoked or wrong token, a missing scope, a conversation or user that is
// gone or out of reach, a message Slack refuses as it is.
var slackPermanent = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true, "token_revoked": true,
	"token_expired": true, "no_permission": true, "missing_scope": true, "not_allowed_token_type": true,
	"team_access_not_granted": true, "ekm_access_denied": true, "restricted_action": true,
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "channel_is_archived": true,
	"user_not_found": true, "users_not_found": true, "user_disabled": true, "user_is_restricted": true,
	"cannot_dm_bot": true, "cant_invite_self": true, "cant_invite": true,
	"msg_too_long": true, "no_text": true, "too_many_attachments": true, "invalid_blocks": true,
	"invalid_blocks_format": true, "invalid_attachments": true, "invalid_arguments": true,
	"invalid_metadata_format": true, "invalid_metadata_schema": true, "metadata_too_large": true,
	"message_not_found": true, "cant_update_message": true, "edit_window_closed": true,
	"invalid_name": true, "invalid_name_specials": true, "invalid_name_maxlength": true,
	"invalid_name_required": true, "invalid_name_punctuation": true, "name_taken": true,
	"method_deprecated": true, "deprecated_endpoint": true,
}

// slackErrorCode is the error code of a Slack API error ("" for others).
func slackErrorCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// classify maps a slack-go error to the Sender contract: 429 with
// Retry-After → *RetryAfterError; a code no retry can fix, or a 4xx status
// (a method or request Slack does not take) → ErrPermanent; anything else
// (5xx, timeouts, network errors, unknown codes) unchanged, which the
// worker retries with back-off.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var (
		limited *slack.RateLimitedError
		status  slack.StatusCodeError
	)
	switch {
	case errors.As(err, &limited):
		return &RetryAfterError{After: limited.RetryAfter, Err: err}
	case errors.Is(err, ErrPermanent):
		return err
	case slackPermanent[slackErrorCode(err)]:
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	case errors.As(err, &status) && status.Code >= 400 && status.Code < 500 &&
		status.Code != http.StatusTooManyRequests && status.Code != http.StatusRequestTimeout:
		return fmt.Errorf("%w: %w", err, ErrPermanent)
	}
	return err
}
