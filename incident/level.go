package incident

// Level is the severity class of an incident (DOMAIN.md, "Levels").
type Level string

// The three levels, from least to most grave.
const (
	Ordinary Level = "ordinary"
	Serious  Level = "serious"
	Special  Level = "special"
)

// LevelInfo describes a level in both languages, for forms and chat.
type LevelInfo struct {
	Level        Level  `json:"level"`
	NameEN       string `json:"name_en"`
	NameZH       string `json:"name_zh"`
	DefinitionEN string `json:"definition_en"`
	DefinitionZH string `json:"definition_zh"`
	Colour       string `json:"colour"`
}

var levels = []LevelInfo{
	{
		Level: Ordinary, NameEN: "Ordinary", NameZH: "普通事件", Colour: "#2f7d32",
		DefinitionEN: "Harms only a terminal or a local network segment, not the information system as a whole; or the harm has already happened and is not spreading. Example: someone changed permissions on a workstation or network device without approval.",
		DefinitionZH: "仅对终端或局部网络造成影响，不危及信息系统整体安全；或危害已经发生但不再扩散。例如：未经批准擅自更改工作站或网络设备的权限。",
	},
	{
		Level: Serious, NameEN: "Serious", NameZH: "严重事件", Colour: "#e67e00",
		DefinitionEN: "Threatens the security of the information system: trying to spread a virus, trojan or backdoor through the network; attacking servers; changing the configuration of network devices or their rooms; running illegal software on the network.",
		DefinitionZH: "危及信息系统安全：试图通过网络传播病毒、木马或后门程序；攻击服务器；更改网络设备或机房配置；在网络上运行非法软件。",
	},
	{
		Level: Special, NameEN: "Special", NameZH: "特殊事件", Colour: "#c62828",
		DefinitionEN: "Malicious attack from outside the organization's network; harm caused by improper use by outsiders; natural or other sudden disasters.",
		DefinitionZH: "来自单位网络外部的恶意攻击；外部人员不当使用造成的危害；自然灾害或其他突发灾害。",
	},
}

// Levels returns the levels in order of gravity.
func Levels() []LevelInfo { return append([]LevelInfo(nil), levels...) }

// Valid reports whether l is one of the three levels.
func (l Level) Valid() bool { return l.Rank() > 0 }

// Rank orders levels: 1 ordinary, 2 serious, 3 special, 0 unknown.
func (l Level) Rank() int {
	for i, li := range levels {
		if li.Level == l {
			return i + 1
		}
	}
	return 0
}

// Info returns the description of l; ok is false for an unknown level.
func (l Level) Info() (LevelInfo, bool) {
	if r := l.Rank(); r > 0 {
		return levels[r-1], true
	}
	return LevelInfo{}, false
}

// Scope says whether an incident is confined to one place or spreads.
type Scope string

// The two scopes of DOMAIN.md.
const (
	Local  Scope = "local"
	Global Scope = "global"
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == Local || s == Global }

// Nature is the cause class of an incident (DOMAIN.md, other classifications).
type Nature string

// The three natures.
const (
	NaturalDisaster Nature = "natural_disaster"
	HumanError      Nature = "human_error"
	MaliciousAttack Nature = "malicious_attack"
)

// Valid reports whether n is a known nature.
func (n Nature) Valid() bool {
	return n == NaturalDisaster || n == HumanError || n == MaliciousAttack
}
