#pragma once

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace nestscope {

/// One address on an interface, as `ip -j addr` or LXD's instance state reports it.
struct TopoAddress {
    enum class Family { IPv4, IPv6 };
    Family family = Family::IPv4;
    QString address; ///< without prefix, e.g. "10.77.10.51"
    int prefixLength = 0;
    QString scope; ///< "global", "link", "host"/"local"
    bool tentative = false; ///< IPv6 DAD not finished (or failed): not usable yet
    bool isGlobal() const { return scope == QLatin1String("global") && !tentative; }
    QString cidr() const { return address + QLatin1Char('/') + QString::number(prefixLength); }
};

/// A network interface of the runner or of an instance.
struct TopoInterface {
    QString name;
    QString kind; ///< "ether", "bridge", "veth", "loopback", "none", ... (`ip -j -d link` linkinfo or link_type)
    QString state; ///< "UP", "DOWN", "UNKNOWN", LXD's "up"/"down"
    int mtu = 0;
    QString mac;
    QString master; ///< the bridge this interface is enslaved to, if any
    QList<TopoAddress> addresses;
    QList<TopoAddress> addressesOf(TopoAddress::Family family) const;
    bool hasGlobal(TopoAddress::Family family) const;
};

/// One route from `ip -j route show table all`.
struct TopoRoute {
    TopoAddress::Family family = TopoAddress::Family::IPv4;
    QString destination; ///< "default" or a CIDR
    QString gateway;
    QString device;
    QString table; ///< "main", "local", a number ...
    QString type; ///< "unicast" (empty), "unreachable", "blackhole", "local", ...
    QString protocol; ///< "kernel", "static", "ra", "dhcp", ...
    int metric = 0;
    bool isDefault() const { return destination == QLatin1String("default"); }
};

/// One policy-routing rule from `ip -j -4|-6 rule show`: which routing table (or action) a packet
/// gets, chosen by priority before the main table is looked at.
struct TopoRule {
    TopoAddress::Family family = TopoAddress::Family::IPv4;
    int priority = 0;
    QString from; ///< "all" or a CIDR
    QString to; ///< empty (any) or a CIDR
    QString iif;
    QString oif;
    QString fwmark; ///< e.g. "0x1", "0x1/0xff"; empty when the rule does not look at marks
    bool invert = false; ///< `not`: the rule applies to what the selector does not match
    QString table; ///< "main", "local", "default", a number; empty for the actions below
    QString action; ///< empty for a table lookup, else "blackhole", "unreachable", "prohibit", "goto", "nop"
    /// The rule as `ip rule` prints it, e.g. "100: from 10.77.10.0/24 lookup 100".
    QString line() const;
    /// Selects a packet with this source and destination (addresses without prefix), given the
    /// packet came in on `inInterface` and carries no firewall mark; false for `not` rules.
    bool selects(const QString &source, const QString &destination, const QString &inInterface) const;
};

/// A proxy setting that the runner's own commands get (curl, wget and apt follow it).
struct TopoProxy {
    QString source; ///< "environment" (the session's), "/etc/environment", or "apt"
    QString name; ///< e.g. "https_proxy", "Acquire::http::Proxy"
    QString value; ///< the URL, with credentials masked ("http://***@proxy:3128")
    /// e.g. "https_proxy=http://proxy:3128 (environment)".
    QString line() const;
    /// http_proxy/https_proxy/all_proxy in either case: what curl and wget read.
    bool isClientVariable() const;
};

/// The host firewall, as far as forwarding between a bridge and the uplink is concerned.
struct TopoFirewall {
    QString backend; ///< "nftables", "iptables-nft", "iptables-legacy", or empty when unknown
    /// The FORWARD chain's policy per family ("ACCEPT"/"DROP"), from iptables-save/ip6tables-save
    /// or from an nft base chain on the forward hook; empty when no such chain exists (= accept).
    QString forwardPolicyV4;
    QString forwardPolicyV6;
    bool hasDockerUserChain = false;
    /// Interfaces an explicit ACCEPT rule in the filter FORWARD (or DOCKER-USER) chain lets out
    /// whatever the policy (`-A FORWARD -i lxdbr0 -j ACCEPT`, as LXD's xtables driver adds), per family.
    QStringList forwardAcceptedV4;
    QStringList forwardAcceptedV6;
    QStringList lxdTables; ///< nft tables LXD (or Incus) made, e.g. "inet lxd"
    QStringList masqueradeRules; ///< one line per masquerade/SNAT rule, human readable
    QString rawNftJson; ///< `nft -j list ruleset`, for the inspector
    QString rawIptablesSave; ///< iptables-save followed by ip6tables-save, for the inspector
};

/// An LXD/Incus managed (or unmanaged) network.
struct TopoNetwork {
    QString name;
    QString type; ///< "bridge", "macvlan", "physical", "ovn", "loopback", ...
    bool managed = false;
    QString status;
    QMap<QString, QString> config; ///< the whole config, e.g. "ipv4.address" -> "10.77.10.1/24"
    QString ipv4Address() const { return config.value(QStringLiteral("ipv4.address")); }
    QString ipv6Address() const { return config.value(QStringLiteral("ipv6.address")); }
    /// LXD's default for ipv4.nat/ipv6.nat on a bridge is false when unset in the API, but `lxd init`
    /// writes "true"; an unset value reads as false here.
    bool ipv4Nat() const { return config.value(QStringLiteral("ipv4.nat")) == QLatin1String("true"); }
    bool ipv6Nat() const { return config.value(QStringLiteral("ipv6.nat")) == QLatin1String("true"); }
    int mtu() const; ///< bridge.mtu, 0 when unset
    QStringList usedBy; ///< "/1.0/instances/vm1", ...
    QString rawJson; ///< this network's object from the API, for the inspector
};

/// A DHCP lease LXD handed out on a bridge.
struct TopoLease {
    QString network;
    QString hostname;
    QString hwaddr;
    QString address;
    QString type; ///< "dynamic", "static"
};

/// A NIC of an instance: its device config and its state inside the instance.
struct TopoNic {
    QString device; ///< the device name in the instance config, e.g. "eth0"
    QString network; ///< the LXD network it is attached to ("network" or "parent" key)
    QString nicType; ///< "bridged", "macvlan", ... (empty when attached by "network")
    QString hostName; ///< host-side veth, from the state
    QString hwaddr;
    int mtu = 0;
    QString state; ///< "up"/"down"
    QList<TopoAddress> addresses;
    bool hasGlobal(TopoAddress::Family family) const;
};

struct TopoInstance {
    QString name;
    QString type; ///< "container" or "virtual-machine"
    QString status; ///< "Running", "Stopped", ...
    QList<TopoNic> nics;
    /// The environment.* keys of its expanded config (what `lxc exec` gives its commands), names
    /// without the prefix; proxy credentials masked.
    QMap<QString, QString> environment;
    QString rawJson; ///< the instance object from the API (without the bulky parts), for the inspector
    bool isRunning() const { return status.compare(QLatin1String("Running"), Qt::CaseInsensitive) == 0; }
};

/// Something discovery could not find out, and what to do about it.
struct TopoWarning {
    QString source; ///< the section it concerns, e.g. "nft" or "lxd-instances"
    QString message; ///< what is missing and how to get it
    QString details = {}; ///< the commands and their own words behind it (raw, for a Details disclosure); may be empty
};

/// What discovery found on a runner: the host's network, its firewall, and LXD/Incus on it.
/// A value type; a partial topology (tools missing, no permission) carries warnings instead.
struct Topology {
    QDateTime discoveredAt;
    QString transport; ///< where it came from, e.g. "ssh://runner-3" or "local"

    // the runner
    QString hostname;
    QString kernel;
    QList<TopoInterface> interfaces;
    QList<TopoRoute> routes;
    QList<TopoRule> rules; ///< both families, in priority order; empty when discovery did not read them
    QMap<QString, QString> sysctls; ///< name -> value, e.g. "net.ipv4.ip_forward" -> "1"
    QString resolvConf;
    QList<TopoProxy> proxies; ///< the runner's proxy settings (empty: none, or not read)
    bool proxiesKnown = false; ///< discovery read them (recordings from before it did: false)
    TopoFirewall firewall;

    // LXD or Incus
    QString lxdClient; ///< "lxc", "incus", or empty when neither was found
    QString lxdServerVersion;
    QString lxdFirewallDriver; ///< "nftables" / "xtables"
    QList<TopoNetwork> networks;
    QList<TopoLease> leases;
    QList<TopoInstance> instances;

    QList<TopoWarning> warnings;

    const TopoInterface *interface(const QString &name) const;
    const TopoNetwork *network(const QString &name) const;
    const TopoInstance *instance(const QString &name) const;
    /// The interface the IPv4 (or IPv6) default route of the main table leaves through, if any.
    std::optional<TopoRoute> defaultRoute(TopoAddress::Family family) const;
    /// sysctl value, or an empty string when it was not read.
    QString sysctl(const QString &name) const { return sysctls.value(name); }
    /// The MTU a bridge carries: its bridge.mtu, else its interface's MTU, 0 when unknown.
    int bridgeMtu(const TopoNetwork &network) const;
};

/// Hides the user and password of a URL ("http://u:p@h:3128" -> "http://***@h:3128").
QString maskProxyCredentials(const QString &value);

/// Address-range checks shared by the problem badges and the diagnosis.
namespace topo {
/// A bridge's ipv4.address / ipv6.address gives it a subnet unless it is empty or "none".
bool hasSubnet(const QString &bridgeAddress);
/// RFC 1918 space ("auto" counts: LXD picks from it).
bool isPrivateIPv4(const QString &cidr);
/// Unique local fc00::/7 ("auto" counts: LXD picks a ULA).
bool isUla(const QString &cidr);
} // namespace topo

} // namespace nestscope
