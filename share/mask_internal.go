package share

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// DefaultInternalDomains are the domain suffixes whose host names are
// always internal addresses.
func DefaultInternalDomains() []string {
	return []string{"local", "lan", "internal", "corp", "intranet", "intra", "localdomain", "home.arpa"}
}

// DefaultInternalNetworks are the networks whose addresses are always
// internal: RFC 1918, loopback, link-local, shared address space (CGNAT),
// IPv6 unique local, link-local and loopback.
func DefaultInternalNetworks() []string {
	return []string{
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
		"fc00::/7", "fe80::/10", "::1/128",
	}
}

// internalSet decides which addresses and host names are internal.
type internalSet struct {
	domains  []string // lower case, no leading dot
	networks []netip.Prefix
}

func newInternalSet(domains, networks []string) (*internalSet, error) {
	in := &internalSet{}
	for _, d := range append(DefaultInternalDomains(), domains...) {
		n, msg := normalizeDomain(d)
		if msg != "" {
			return nil, fmt.Errorf("internal domain %q: %s", d, msg)
		}
		in.domains = append(in.domains, n)
	}
	for _, s := range append(DefaultInternalNetworks(), networks...) {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("internal network %q: %w", s, err)
		}
		in.networks = append(in.networks, p)
	}
	return in, nil
}

// addr reports whether a is in an internal network.
func (in *internalSet) addr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range in.networks {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// host reports whether host name h is, or is under, an internal domain.
func (in *internalSet) host(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	for _, d := range in.domains {
		if h == d || strings.HasSuffix(h, "."+d) && len(h) > len(d)+1 {
			return true
		}
	}
	return false
}

var domainLabel = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// normalizeDomain lower-cases d and drops a leading dot; msg says what is
// wrong with it.
func normalizeDomain(d string) (n, msg string) {
	n = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "."))
	switch {
	case n == "":
		return "", "is empty"
	case len(n) > 253:
		return "", "is longer than 253 characters"
	case strings.Contains(n, "*"):
		return "", "takes a suffix such as corp.example.com, not a wildcard"
	}
	for _, l := range strings.Split(n, ".") {
		if !domainLabel.MatchString(l) {
			return "", "is not a domain name (letters, digits and hyphens between dots; write internationalized names in their xn-- form)"
		}
	}
	return n, ""
}

// checkNetwork says what is wrong with a CIDR prefix.
func checkNetwork(s string) string {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		return "is not a CIDR prefix such as 10.20.0.0/16 or fd00:1::/48"
	}
	if p.Masked() != p {
		return fmt.Sprintf("has bits set beyond its prefix length; did you mean %s?", p.Masked())
	}
	return ""
}
