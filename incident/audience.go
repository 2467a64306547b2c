package incident

// The kinds of Assignee.
const (
	AssigneeTeam   = "team"
	AssigneePerson = "person" // Name is the person's username (roster id)
	AssigneeVendor = "vendor"
)

// Audience describes whom a list of incidents is for, so that the store
// leaves out what that person may not see. access.AudienceOf builds it from
// a person's roles, and access.Admits decides one incident by the same rule
// that the store's query applies to a list.
type Audience struct {
	// All admits every incident that is not restricted.
	All bool
	// Restricted admits every restricted incident as well.
	Restricted bool
	// Reporter admits the incidents this user id reported, unless they are
	// restricted.
	Reporter string
	// Names admit the incidents, restricted or not, that name one of them
	// as a participant, a person assignee or a task assignee: a person's
	// user id and username.
	Names []string
	// Teams admit the incidents assigned to one of these teams (by id or
	// name), unless they are restricted.
	Teams []string
}
