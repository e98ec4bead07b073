#pragma once

#include "common/result.h"
#include "topology/topology.h"

#include <QByteArray>
#include <QJsonArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace nestscope {

/// Parsers for the structured sources discovery reads, one per command. Each is tolerant of
/// versions (unknown fields are ignored, missing ones stay empty) but rejects input of the wrong
/// shape with an Error that names the source, where in it (JSON path or line) and what was expected.
namespace topoparse {

/// `lxc query /1.0` (or `incus query /1.0`): who answers and how it firewalls.
struct LxdServer {
    QString server; ///< "lxd" or "incus"
    QString version; ///< environment.server_version
    QString firewallDriver; ///< environment.firewall: "nftables" / "xtables"
};
Result<LxdServer> parseLxdServer(const QByteArray &json);

/// `lxc query /1.0/networks?recursion=1`.
Result<QList<TopoNetwork>> parseLxdNetworks(const QByteArray &json);

/// `lxc query /1.0/instances?recursion=2` (recursion=1 works too, without addresses).
/// NICs come from the expanded devices of type "nic", matched to the state by name, else by MAC.
Result<QList<TopoInstance>> parseLxdInstances(const QByteArray &json);

/// parseLxdInstances() and parseIpAddr() read through simdjson (core/topology/jsonview.h) and
/// fall back to QJsonDocument for whatever it leaves alone and for every error; these read
/// through QJsonDocument only, and must give the same answers: for differential tests and fuzzers.
Result<QList<TopoInstance>> parseLxdInstancesWithQJson(const QByteArray &json);
Result<QList<TopoInterface>> parseIpAddrWithQJson(const QByteArray &json);
/// Whether simdjson takes `json` for parseLxdInstances() and parseIpAddr() rather than handing it
/// to QJsonDocument straight away (a top that is not an array or a shape error still goes there):
/// for tests.
bool readsThroughSimdjson(const QByteArray &json);

/// `lxc query /1.0/networks/<network>/leases`.
Result<QList<TopoLease>> parseLxdLeases(const QByteArray &json, const QString &network);

/// `ip -j [-d] addr` (or `ip -j [-d] link`, which gives interfaces without addresses).
Result<QList<TopoInterface>> parseIpAddr(const QByteArray &json);

/// `ip -j -4|-6 route show table all`.
Result<QList<TopoRoute>> parseIpRoutes(const QByteArray &json, TopoAddress::Family family);

/// `ip -j -4|-6 rule show`, in priority order.
Result<QList<TopoRule>> parseIpRules(const QByteArray &json, TopoAddress::Family family);

/// The discovery script's proxy-env section: lines "SOURCE NAME=VALUE" (environment,
/// /etc/environment) and "apt Acquire::http::Proxy "URL";" from `apt-config dump`. Credentials
/// are masked again here, whatever the script did.
Result<QList<TopoProxy>> parseProxySettings(const QByteArray &text);

/// What `nft -j list ruleset` says about forwarding.
struct NftFacts {
    QStringList tables; ///< "family name", e.g. "inet lxd", "ip filter"
    QString forwardPolicyV4; ///< "DROP" when a base chain on the forward hook (ip or inet) drops by policy,
                             ///< "ACCEPT" when such chains exist and none drops, else empty
    QString forwardPolicyV6;
    bool hasDockerUserChain = false;
    QStringList lxdTables; ///< tables named lxd or incus
    /// Masquerade/SNAT rules in tables iptables-nft does not own (those come from iptables-save).
    QStringList masqueradeRules;
};
Result<NftFacts> parseNftRuleset(const QByteArray &json);

/// A rule's statements ("expr" of `nft -j`) as nft would roughly print them, counters left out:
/// `iifname lxdbr0 udp dport 53 drop`. For evidence and messages.
QString nftRuleText(const QJsonArray &expr);

/// What `iptables-save` (or `ip6tables-save`) says about forwarding.
struct IptablesFacts {
    QString variant; ///< "nf_tables" or "legacy" from the header comment, empty when there is none
    QStringList tables; ///< "filter", "nat", ...
    QString forwardPolicy; ///< the filter table's FORWARD policy, empty without a filter table
    bool hasDockerUserChain = false;
    QStringList masqueradeRules; ///< "iptables -t nat -A POSTROUTING ... -j MASQUERADE"
    /// Interfaces whose outgoing forwarded traffic an explicit ACCEPT rule lets through
    /// (`-A FORWARD -i lxdbr0 ... -j ACCEPT`, also in DOCKER-USER), whatever the policy.
    QStringList forwardAcceptedInterfaces;
};
Result<IptablesFacts> parseIptablesSave(const QByteArray &text, TopoAddress::Family family);

/// `iptables -V`: "nf_tables", "legacy", or an error when the text is not iptables' version line.
Result<QString> parseIptablesVariant(const QByteArray &text);

} // namespace topoparse
} // namespace nestscope
