// Package share governs sharing incident information with other
// departments and organizations (DOMAIN.md, "Information sharing and
// access"; 信息资源共享操作规程).
//
// Three mechanisms admit a requester to an incident's shared view, asked
// in this order, the first that admits deciding (and being recorded):
//
//  1. emergency grants (应急授权): asked for during an emergency, approved
//     by a leader (a manager), lasting at most 14 days;
//  2. attribute rules (属性授权): agreed in advance by admins, over the
//     attributes of the information (category, level, restricted), of the
//     requester (organization, department, role) and of the accessing
//     system (an API token's system and network);
//  3. applications (申请授权): a requester states purpose, information,
//     scope and period; the incidents' owner or a manager approves,
//     rejects or returns it for correction; a grant lasts at most 3 years.
//
// Shared views are desensitized (脱敏): a Masker hides personal data,
// credentials and internal addresses unless the deciding grant or rule
// reveals a class. Every access is logged; grants expire on time (a
// periodic job); use beyond a grant's scope or at an unusual rate
// suspends it and alerts its owner; owners revoke at any time; copies
// taken under a grant are listed and can be withdrawn.
//
// The decisions are pure functions with table tests: Decide (which grant
// or rule admits an access), Apply, Approve and Resubmit (the grant status
// machine), ValidateRequest and ValidateRule (field errors in English and
// Chinese). Service reads and stores through Store and only calls them;
// it writes every access and every change to the audit trail and tells
// the people concerned through a Notifier, with idempotency keys so a
// replayed command sends nothing twice. Abnormal use is watched on each
// access: more allowed accesses under a grant in the last hour than its
// rate, or ScopeStrikes refused attempts within StrikeWindow while the
// requester holds active grants, suspends those grants.
package share
