#include "topology.h"

#include <QHostAddress>

#include <algorithm>
#include <utility>

namespace nestscope {

QList<TopoAddress> TopoInterface::addressesOf(TopoAddress::Family family) const
{
    QList<TopoAddress> out;
    for (const TopoAddress &a : addresses) {
        if (a.family == family) {
            out << a;
        }
    }
    return out;
}

bool TopoInterface::hasGlobal(TopoAddress::Family family) const
{
    return std::any_of(addresses.cbegin(), addresses.cend(), [family](const TopoAddress &a) {
        return a.family == family && a.isGlobal();
    });
}

QString TopoProxy::line() const
{
    return QStringLiteral("%1=%2 (%3)").arg(name, value, source);
}

bool TopoProxy::isClientVariable() const
{
    const QString n = name.toLower();
    return source != QLatin1String("apt")
        && (n == QLatin1String("http_proxy") || n == QLatin1String("https_proxy") || n == QLatin1String("all_proxy"));
}

QString maskProxyCredentials(const QString &value)
{
    const qsizetype scheme = value.indexOf(QLatin1String("://"));
    const qsizetype start = scheme < 0 ? 0 : scheme + 3;
    const qsizetype at = value.indexOf(QLatin1Char('@'), start);
    const qsizetype slash = value.indexOf(QLatin1Char('/'), start);
    if (at < 0 || (slash >= 0 && slash < at)) {
        return value;
    }
    return value.left(start) + QStringLiteral("***") + value.mid(at);
}

QString TopoRule::line() const
{
    QString l = QString::number(priority) + QStringLiteral(": ");
    if (invert) {
        l += QStringLiteral("not ");
    }
    l += QStringLiteral("from ") + (from.isEmpty() ? QStringLiteral("all") : from);
    if (!to.isEmpty()) {
        l += QStringLiteral(" to ") + to;
    }
    if (!fwmark.isEmpty()) {
        l += QStringLiteral(" fwmark ") + fwmark;
    }
    if (!iif.isEmpty()) {
        l += QStringLiteral(" iif ") + iif;
    }
    if (!oif.isEmpty()) {
        l += QStringLiteral(" oif ") + oif;
    }
    if (!action.isEmpty()) {
        l += QLatin1Char(' ') + action;
    } else {
        l += QStringLiteral(" lookup ") + table;
    }
    return l;
}

namespace {

bool inRange(const QString &cidr, const QString &address)
{
    if (cidr.isEmpty() || cidr == QLatin1String("all")) {
        return true;
    }
    if (address.isEmpty()) {
        return false;
    }
    const auto net = QHostAddress::parseSubnet(cidr.contains(QLatin1Char('/')) ? cidr
            : cidr.contains(QLatin1Char(':'))                                  ? cidr + QStringLiteral("/128")
                                                                               : cidr + QStringLiteral("/32"));
    return !net.first.isNull() && QHostAddress(address).isInSubnet(net);
}

} // namespace

bool TopoRule::selects(const QString &source, const QString &destination, const QString &inInterface) const
{
    if (invert || !fwmark.isEmpty() || !oif.isEmpty()) {
        return false; // marks and output interfaces are set by things discovery does not see
    }
    if (!iif.isEmpty() && iif != inInterface) {
        return false;
    }
    return inRange(from, source) && inRange(to, destination);
}

int TopoNetwork::mtu() const
{
    bool ok = false;
    const int value = config.value(QStringLiteral("bridge.mtu")).toInt(&ok);
    return ok && value > 0 ? value : 0;
}

bool TopoNic::hasGlobal(TopoAddress::Family family) const
{
    return std::any_of(addresses.cbegin(), addresses.cend(), [family](const TopoAddress &a) {
        return a.family == family && a.isGlobal();
    });
}

const TopoInterface *Topology::interface(const QString &name) const
{
    const auto it = std::find_if(interfaces.cbegin(), interfaces.cend(), [&name](const TopoInterface &i) {
        return i.name == name;
    });
    return it == interfaces.cend() ? nullptr : &*it;
}

const TopoNetwork *Topology::network(const QString &name) const
{
    const auto it = std::find_if(networks.cbegin(), networks.cend(), [&name](const TopoNetwork &n) {
        return n.name == name;
    });
    return it == networks.cend() ? nullptr : &*it;
}

const TopoInstance *Topology::instance(const QString &name) const
{
    const auto it = std::find_if(instances.cbegin(), instances.cend(), [&name](const TopoInstance &i) {
        return i.name == name;
    });
    return it == instances.cend() ? nullptr : &*it;
}

std::optional<TopoRoute> Topology::defaultRoute(TopoAddress::Family family) const
{
    std::optional<TopoRoute> best;
    for (const TopoRoute &r : routes) {
        // Only a unicast default in main carries traffic; "unreachable default" and the like do not.
        const bool unicast = r.type.isEmpty() || r.type == QLatin1String("unicast");
        if (r.family != family || !r.isDefault() || r.table != QLatin1String("main") || !unicast
            || r.device.isEmpty()) {
            continue;
        }
        if (!best || r.metric < best->metric) {
            best = r;
        }
    }
    return best;
}

int Topology::bridgeMtu(const TopoNetwork &network) const
{
    if (network.mtu() > 0) {
        return network.mtu();
    }
    const TopoInterface *itf = interface(network.name);
    return itf ? itf->mtu : 0;
}

namespace topo {

namespace {

QHostAddress addressOf(const QString &cidr)
{
    return QHostAddress(cidr.section(QLatin1Char('/'), 0, 0));
}

} // namespace

bool hasSubnet(const QString &bridgeAddress)
{
    return !bridgeAddress.isEmpty() && bridgeAddress != QLatin1String("none");
}

bool isPrivateIPv4(const QString &cidr)
{
    if (cidr == QLatin1String("auto")) {
        return true;
    }
    const QHostAddress a = addressOf(cidr);
    for (const auto &[net, len] :
        { std::pair { "10.0.0.0", 8 }, std::pair { "172.16.0.0", 12 }, std::pair { "192.168.0.0", 16 } }) {
        if (a.isInSubnet(QHostAddress(QString::fromLatin1(net)), len)) {
            return true;
        }
    }
    return false;
}

bool isUla(const QString &cidr)
{
    if (cidr == QLatin1String("auto")) {
        return true;
    }
    return addressOf(cidr).isInSubnet(QHostAddress(QStringLiteral("fc00::")), 7);
}

} // namespace topo

} // namespace nestscope
