#include "problems.h"

#include <algorithm>
#include <tuple>

namespace nestscope {

namespace {

using Family = TopoAddress::Family;

QString familyName(Family f)
{
    return f == Family::IPv4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6");
}

using topo::hasSubnet;
using topo::isPrivateIPv4;
using topo::isUla;

QList<const TopoNetwork *> managedBridges(const Topology &t)
{
    QList<const TopoNetwork *> out;
    for (const TopoNetwork &n : t.networks) {
        if (n.managed && n.type == QLatin1String("bridge")) {
            out << &n;
        }
    }
    return out;
}

class Rules {
public:
    explicit Rules(const Topology &t)
        : m_t(t)
        , m_client(t.lxdClient.isEmpty() ? QStringLiteral("lxc") : t.lxdClient)
        , m_bridges(managedBridges(t))
    {
    }

    QList<TopoProblem> run()
    {
        for (const Family f : { Family::IPv4, Family::IPv6 }) {
            forwardDrop(f);
        }
        ipForwardOff();
        for (const TopoNetwork *n : m_bridges) {
            bridge(*n);
        }
        instances();
        std::stable_sort(m_problems.begin(), m_problems.end(), [](const TopoProblem &a, const TopoProblem &b) {
            return std::tie(a.nodeId, a.id) < std::tie(b.nodeId, b.id);
        });
        return m_problems;
    }

private:
    void add(const QString &id, TopoProblem::Severity severity, const QString &node, const QString &title,
        const QString &why)
    {
        m_problems << TopoProblem { id, severity, node, title, why };
    }

    /// Managed bridges that give instances an address of this family.
    QStringList bridgesWith(Family f) const
    {
        QStringList names;
        for (const TopoNetwork *n : m_bridges) {
            if (hasSubnet(f == Family::IPv4 ? n->ipv4Address() : n->ipv6Address())) {
                names << n->name;
            }
        }
        return names;
    }

    void forwardDrop(Family f)
    {
        const TopoFirewall &fw = m_t.firewall;
        const bool v4 = f == Family::IPv4;
        if ((v4 ? fw.forwardPolicyV4 : fw.forwardPolicyV6) != QLatin1String("DROP")) {
            return;
        }
        const QStringList bridges = bridgesWith(f);
        const QStringList &accepted = v4 ? fw.forwardAcceptedV4 : fw.forwardAcceptedV6;
        QStringList blocked;
        for (const QString &b : bridges) {
            if (!accepted.contains(b)) {
                blocked << b;
            }
        }
        const QString tool = v4 ? QStringLiteral("iptables") : QStringLiteral("ip6tables");
        const bool fromIptables = fw.rawIptablesSave.contains(QLatin1String(":FORWARD DROP"));
        const QString example = blocked.value(0, bridges.value(0, QStringLiteral("lxdbr0")));
        QString why
            = QStringLiteral("The runner's firewall drops forwarded %1 packets by policy (%2).")
                  .arg(familyName(f),
                      fromIptables ? QStringLiteral("`%1-save` shows `:FORWARD DROP` in the filter table").arg(tool)
                                   : QStringLiteral("an nftables base chain on the forward hook has policy drop"));
        if (fw.hasDockerUserChain) {
            why += QStringLiteral(" There is a DOCKER-USER chain: installing Docker sets this policy.");
        }
        TopoProblem::Severity severity = TopoProblem::Severity::Error;
        if (m_bridges.isEmpty() && !m_t.lxdClient.isEmpty()) {
            severity = TopoProblem::Severity::Warning;
            why += QStringLiteral(" No managed bridge is affected now, but any bridge you add will be.");
        } else if (!bridges.isEmpty() && blocked.isEmpty()) {
            severity = TopoProblem::Severity::Warning;
            why += QStringLiteral(" Explicit ACCEPT rules let %1 through, so its instances are not affected.")
                       .arg(bridges.join(QStringLiteral(", ")));
        } else {
            why += QStringLiteral(" Everything an instance sends beyond the runner is forwarded, so it is dropped: "
                                  "instances%1 get their addresses and DNS answers (those come from the runner "
                                  "itself), but every connection to the outside times out.")
                       .arg(
                           blocked.isEmpty() ? QString() : QStringLiteral(" on ") + blocked.join(QStringLiteral(", ")));
        }
        if (fromIptables || fw.backend.startsWith(QLatin1String("iptables"))) {
            why += QStringLiteral(" Fix: let the bridge through in Docker's chain for your own rules, "
                                  "`%1 -I DOCKER-USER -i %2 -j ACCEPT` and `%1 -I DOCKER-USER -o %2 -m conntrack "
                                  "--ctstate RELATED,ESTABLISHED -j ACCEPT` (with Docker), or `%1 -P FORWARD ACCEPT` "
                                  "(without Docker).")
                       .arg(tool, example);
        } else {
            why += QStringLiteral(" Fix: add `iifname \"%1\" accept` and `oifname \"%1\" ct state established,related "
                                  "accept` to that chain (`nft list ruleset` shows it), or set its policy to accept.")
                       .arg(example);
        }
        add(QStringLiteral("forward-drop"), severity, QStringLiteral("runner"),
            QStringLiteral("FORWARD policy is DROP (%1)").arg(familyName(f)), why);
    }

    void ipForwardOff()
    {
        struct Knob {
            Family family;
            QString sysctl;
        };
        for (const Knob &k : { Knob { Family::IPv4, QStringLiteral("net.ipv4.ip_forward") },
                 Knob { Family::IPv6, QStringLiteral("net.ipv6.conf.all.forwarding") } }) {
            if (m_t.sysctl(k.sysctl) != QLatin1String("0")) {
                continue;
            }
            const QStringList bridges = bridgesWith(k.family);
            // IPv6 forwarding off matters only when a bridge hands out IPv6; IPv4 off is always worth saying.
            if (k.family == Family::IPv6 && bridges.isEmpty()) {
                continue;
            }
            const bool affected = !bridges.isEmpty() || m_t.lxdClient.isEmpty();
            QString why = QStringLiteral("%1 is 0: the runner's kernel does not route %2 packets between its "
                                         "interfaces.")
                              .arg(k.sysctl, familyName(k.family));
            if (!bridges.isEmpty()) {
                why += QStringLiteral(" Instances on %1 get addresses and DNS from the runner, but nothing they send "
                                      "beyond it is forwarded to the uplink: connections time out.")
                           .arg(bridges.join(QStringLiteral(", ")));
            }
            why += QStringLiteral(" Fix: `sysctl -w %1=1`, and keep it with a line `%1 = 1` in "
                                  "/etc/sysctl.d/99-forwarding.conf (something on the runner turned it off: check "
                                  "/etc/sysctl.conf and /etc/sysctl.d/).")
                       .arg(k.sysctl);
            add(QStringLiteral("ip-forward-off"),
                affected ? TopoProblem::Severity::Error : TopoProblem::Severity::Warning, QStringLiteral("runner"),
                QStringLiteral("%1 forwarding is off (%2=0)").arg(familyName(k.family), k.sysctl), why);
        }
    }

    void bridge(const TopoNetwork &n)
    {
        const QString node = QStringLiteral("net:") + n.name;
        const QString v4 = n.ipv4Address();
        const QString v6 = n.ipv6Address();
        if (!hasSubnet(v4)) {
            add(QStringLiteral("no-ipv4"), TopoProblem::Severity::Error, node,
                QStringLiteral("%1 has no IPv4 subnet").arg(n.name),
                QStringLiteral("ipv4.address of %1 is %2: instances on it get no IPv4 address%3. Everything that is "
                               "reachable only over IPv4 (many package mirrors, registries and APIs, e.g. github.com) "
                               "is out of reach for them. Fix: `%4 network set %1 ipv4.address auto` (or a free "
                               "private /24) and `%4 network set %1 ipv4.nat true`.")
                    .arg(n.name, v4.isEmpty() ? QStringLiteral("not set") : QStringLiteral("\"none\""),
                        hasSubnet(v6) ? QStringLiteral(", only IPv6") : QString(), m_client));
        } else if (isPrivateIPv4(v4) && !n.ipv4Nat()) {
            add(QStringLiteral("nat-off"), TopoProblem::Severity::Error, node,
                QStringLiteral("NAT is off on %1 (IPv4)").arg(n.name),
                QStringLiteral("%1 hands out %2, a private (RFC 1918) range, and ipv4.nat is %3: instance packets "
                               "leave the runner with their private source address, and nothing outside routes the "
                               "answers back, so connections time out. Fix: `%4 network set %1 ipv4.nat true`.")
                    .arg(n.name, v4, n.config.value(QStringLiteral("ipv4.nat"), QStringLiteral("not set")), m_client));
        }
        if (hasSubnet(v6) && isUla(v6) && !n.ipv6Nat()) {
            add(QStringLiteral("nat-off"), TopoProblem::Severity::Error, node,
                QStringLiteral("NAT is off on %1 (IPv6)").arg(n.name),
                QStringLiteral("%1 hands out %2, a unique local (fc00::/7) range that is not routed on the internet, "
                               "and ipv6.nat is %3: instance packets leave with that source and no answer comes "
                               "back. Fix: `%4 network set %1 ipv6.nat true`, or give the bridge a routed global "
                               "prefix.")
                    .arg(n.name, v6, n.config.value(QStringLiteral("ipv6.nat"), QStringLiteral("not set")), m_client));
        }
        const bool knowV6Routes = std::any_of(m_t.routes.cbegin(), m_t.routes.cend(), [](const TopoRoute &r) {
            return r.family == Family::IPv6;
        });
        if (hasSubnet(v6) && knowV6Routes && !m_t.defaultRoute(Family::IPv6)) {
            const bool only = !hasSubnet(v4);
            add(QStringLiteral("ipv6-uplink-missing"),
                only ? TopoProblem::Severity::Error : TopoProblem::Severity::Warning, node,
                QStringLiteral("%1 hands out IPv6, the runner has no IPv6 route out").arg(n.name),
                QStringLiteral("%1 gives instances IPv6 addresses (%2), but the runner has no IPv6 default route "
                               "(`ip -6 route show default` is empty), so their IPv6 packets die at the runner with "
                               "\"no route\".%3 Fix: give the runner IPv6 connectivity, or stop handing out IPv6 "
                               "where there is none: `%4 network set %1 ipv6.address none`%5.")
                    .arg(n.name, v6,
                        only ? QStringLiteral(" The bridge has no IPv4 either, so its instances reach nothing outside.")
                             : QStringLiteral(" A program that prefers IPv6 (an AAAA answer first) fails or waits "
                                              "for a fallback."),
                        m_client,
                        only ? QStringLiteral(" together with `%1 network set %2 ipv4.address auto`")
                                   .arg(m_client, n.name)
                             : QString()));
        }
        const int bridgeMtu = mtuOf(n);
        const auto uplinkRoute
            = m_t.defaultRoute(Family::IPv4) ? m_t.defaultRoute(Family::IPv4) : m_t.defaultRoute(Family::IPv6);
        const TopoInterface *uplink = uplinkRoute ? m_t.interface(uplinkRoute->device) : nullptr;
        if (uplink && uplink->name != n.name && uplink->mtu > 0 && bridgeMtu > uplink->mtu) {
            add(QStringLiteral("mtu-mismatch"), TopoProblem::Severity::Warning, node,
                QStringLiteral("%1's MTU %2 is above the uplink's %3").arg(n.name).arg(bridgeMtu).arg(uplink->mtu),
                QStringLiteral("%1 has MTU %2 but the uplink %3 only %4: full-size packets from instances do not fit. "
                               "Where path MTU discovery is blocked (ICMP filtered, often in clouds and tunnels) TLS "
                               "handshakes and large downloads hang while small requests work. Fix: `%5 network set "
                               "%1 bridge.mtu %4`, then restart the instances' networking.")
                    .arg(n.name)
                    .arg(bridgeMtu)
                    .arg(uplink->name)
                    .arg(uplink->mtu)
                    .arg(m_client));
        }
    }

    int mtuOf(const TopoNetwork &n) const { return m_t.bridgeMtu(n); }

    void instances()
    {
        for (const TopoInstance &inst : m_t.instances) {
            if (!inst.isRunning()) {
                continue;
            }
            const QString node = QStringLiteral("inst:") + inst.name;
            bool hasState = false;
            bool global4 = false;
            QStringList networks;
            for (const TopoNic &nic : inst.nics) {
                hasState = hasState || !nic.state.isEmpty() || !nic.addresses.isEmpty();
                global4 = global4 || nic.hasGlobal(Family::IPv4);
                if (!nic.network.isEmpty()) {
                    networks << nic.network;
                }
                const TopoNetwork *net = m_t.network(nic.network);
                const int bridgeMtu = net ? mtuOf(*net) : 0;
                if (bridgeMtu > 0 && nic.mtu > bridgeMtu) {
                    add(QStringLiteral("mtu-mismatch"), TopoProblem::Severity::Warning,
                        QStringLiteral("nic:%1/%2").arg(inst.name, nic.device),
                        QStringLiteral("%1's %2 has MTU %3, above %4's %5")
                            .arg(inst.name, nic.device)
                            .arg(nic.mtu)
                            .arg(nic.network)
                            .arg(bridgeMtu),
                        QStringLiteral("%1 sends packets of up to %3 bytes on %2, but the bridge %4 carries only %5: "
                                       "large packets are dropped on the way, so small requests work while TLS "
                                       "handshakes and downloads hang. Fix: `%6 config device set %1 %2 mtu %5` (or "
                                       "lower the MTU inside the instance).")
                            .arg(inst.name, nic.device)
                            .arg(nic.mtu)
                            .arg(nic.network)
                            .arg(bridgeMtu)
                            .arg(m_client));
                }
            }
            if (!hasState || global4) {
                continue;
            }
            networks.removeDuplicates();
            QStringList withoutV4;
            for (const QString &name : networks) {
                const TopoNetwork *net = m_t.network(name);
                if (net && net->managed && !hasSubnet(net->ipv4Address())) {
                    withoutV4 << name;
                }
            }
            const QString why = !withoutV4.isEmpty()
                ? QStringLiteral("%1 is running without a global IPv4 address because %2 has no IPv4 subnet "
                                 "(ipv4.address none): it reaches only what IPv6 reaches. Fix the bridge (see its "
                                 "marker), then renew the lease in the instance (or restart it).")
                      .arg(inst.name, withoutV4.join(QStringLiteral(", ")))
                : QStringLiteral("%1 is running without a global IPv4 address although %2 hands out IPv4: the "
                                 "instance got no DHCP lease. Is a DHCP client running in it, and does dnsmasq "
                                 "answer? Check `%3 exec %1 -- ip -4 addr`, `%3 network list-leases %4` and the "
                                 "instance's network configuration (cloud-init, netplan, dhcpcd).")
                      .arg(inst.name,
                          networks.isEmpty() ? QStringLiteral("its network") : networks.join(QStringLiteral(", ")),
                          m_client, networks.value(0, QStringLiteral("lxdbr0")));
            add(QStringLiteral("no-ipv4"), TopoProblem::Severity::Error, node,
                QStringLiteral("%1 has no IPv4 address").arg(inst.name), why);
        }
    }

    const Topology &m_t;
    const QString m_client;
    const QList<const TopoNetwork *> m_bridges;
    QList<TopoProblem> m_problems;
};

} // namespace

QList<TopoProblem> findProblems(const Topology &topology)
{
    return Rules(topology).run();
}

} // namespace nestscope
