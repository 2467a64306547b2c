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
package share
