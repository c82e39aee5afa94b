package notify

import (
	"net/netip"
	"strings"
)

// notGloballyReachable are the entries of IANA's IPv4 and IPv6
// Special-Purpose Address Registries whose "Globally Reachable" is False:
// an outbound webhook may not connect to any of them. A more specific entry
// the registry marks reachable inside one of these blocks (PCP and TURN
// anycast, AMT, AS112, ORCHIDv2) serves a protocol, never a webhook, so the
// whole block is refused.
var notGloballyReachable = []netip.Prefix{
	// IPv4
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network", RFC 791 §3.2 and RFC 1122 §3.2.1.3
	netip.MustParsePrefix("10.0.0.0/8"),         // private use, RFC 1918
	netip.MustParsePrefix("100.64.0.0/10"),      // shared address space (carrier-grade NAT), RFC 6598
	netip.MustParsePrefix("127.0.0.0/8"),        // loopback, RFC 1122 §3.2.1.3
	netip.MustParsePrefix("169.254.0.0/16"),     // link local (cloud metadata lives here), RFC 3927
	netip.MustParsePrefix("172.16.0.0/12"),      // private use, RFC 1918
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments, RFC 6890 §2.1 (DS-Lite RFC 7335, NAT64 discovery RFC 7050 inside)
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation TEST-NET-1, RFC 5737
	netip.MustParsePrefix("192.88.99.0/24"),     // deprecated 6to4 relay anycast, RFC 7526 (no reachability given)
	netip.MustParsePrefix("192.168.0.0/16"),     // private use, RFC 1918
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking, RFC 2544
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation TEST-NET-2, RFC 5737
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation TEST-NET-3, RFC 5737
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, RFC 1112 §4
	netip.MustParsePrefix("255.255.255.255/32"), // limited broadcast, RFC 8190 and RFC 919 §7

	// IPv6
	netip.MustParsePrefix("::/128"),         // unspecified, RFC 4291
	netip.MustParsePrefix("::1/128"),        // loopback, RFC 4291
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped, RFC 4291: whatever IPv4 address it wraps
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use IPv4/IPv6 translation, RFC 8215
	netip.MustParsePrefix("100::/64"),       // discard-only, RFC 6666
	netip.MustParsePrefix("100:0:0:1::/64"), // dummy prefix, RFC 9780
	netip.MustParsePrefix("2001::/23"),      // IETF protocol assignments, RFC 2928 (Teredo 2001::/32 RFC 4380, benchmarking 2001:2::/48 RFC 5180 inside)
	netip.MustParsePrefix("2001:db8::/32"),  // documentation, RFC 3849
	netip.MustParsePrefix("3fff::/20"),      // documentation, RFC 9637
	netip.MustParsePrefix("5f00::/16"),      // segment routing (SRv6) SIDs, RFC 9602
	netip.MustParsePrefix("fc00::/7"),       // unique local, RFC 4193
	netip.MustParsePrefix("fe80::/10"),      // link-local unicast, RFC 4291
}

// Prefixes whose IPv6 addresses carry an IPv4 address: reaching one of them
// reaches that IPv4 address through a translator or a tunnel.
var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64 prefix, RFC 6052: IPv4 in the last 32 bits
	sixToFour      = netip.MustParsePrefix("2002::/16")    // 6to4, RFC 3056: IPv4 in bits 16 to 47
	ipv4Compatible = netip.MustParsePrefix("::/96")        // deprecated IPv4-compatible, RFC 4291 §2.5.5.1: IPv4 in the last 32 bits
)

// isPublic reports whether an outbound webhook may connect to ip: a
// unicast address outside every block IANA's registries mark not globally
// reachable, whose embedded IPv4 address, if it carries one, is public too.
func isPublic(ip netip.Addr) bool {
	ip = ip.WithZone("")
	// Multicast and broadcast are not in the special-purpose registries;
	// the standard library's test rules them out with the obvious ones.
	if !ip.IsValid() || !ip.IsGlobalUnicast() {
		return false
	}
	for _, p := range notGloballyReachable {
		if p.Contains(ip) {
			return false
		}
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return isPublic(v4)
	}
	return true
}

// embeddedIPv4 returns the IPv4 address an IPv6 address of a translation or
// tunnelling prefix carries.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip), ipv4Compatible.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// nonPublicHost reports whether a URL's host names a non-public address
// without DNS: an address literal that is not public, a numeric form only
// some resolvers read as an address (127.1, 2130706433: a real host name
// never ends in a numeric label), or a localhost name (RFC 6761 §6.3).
func nonPublicHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return !isPublic(ip)
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	last := host[strings.LastIndex(host, ".")+1:]
	return last == "" || strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x")
}
