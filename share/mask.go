package share

// MaskRule is one configurable masking pattern.
type MaskRule struct {
	Name    string `yaml:"name"`
	Class   Class  `yaml:"class"`
	Pattern string `yaml:"pattern"` // RE2; the whole match is masked
}

// MaskConfig configures the Masker (TOCSIN_MASK_FILE, YAML).
type MaskConfig struct {
	// Disable names built-in rules to turn off.
	Disable []string `yaml:"disable"`
	// Rules are extra patterns.
	Rules []MaskRule `yaml:"rules"`
	// InternalDomains are domain suffixes whose host names are internal
	// addresses (added to the defaults: .local, .lan, .internal, .corp,
	// .intranet, .intra, .localdomain).
	InternalDomains []string `yaml:"internal_domains"`
	// InternalNetworks are CIDR prefixes that are internal beyond RFC 1918,
	// loopback, link-local, CGNAT and IPv6 unique local addresses.
	InternalNetworks []string `yaml:"internal_networks"`
}

// Masker desensitizes text: names, phone numbers, e-mail addresses, ID
// numbers, credentials and internal addresses, in Chinese and English.
type Masker struct{}

// ParseMaskConfig reads a MaskConfig from YAML; name is the file's name
// for error messages, which give file:line.
func ParseMaskConfig(name string, src []byte) (MaskConfig, error) { panic("not built") }

// NewMasker compiles c (built-ins plus c's rules); errors name the rule.
func NewMasker(c MaskConfig) (*Masker, error) { panic("not built") }

// Mask returns text with every sensitive value of a class not in reveal
// replaced, and how many values it masked by class. names are personal
// names known to appear (the incident's people), masked as Names.
func (m *Masker) Mask(text string, reveal []Class, names []string) (string, map[Class]int) {
	panic("not built")
}
