#include "topology.h"

#include <algorithm>

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

} // namespace nestscope
