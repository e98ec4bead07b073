// libFuzzer target: the iproute2 parsers (`ip -j -d addr`, `ip -j route show table all`) must
// accept or refuse any input cleanly; every route they accept has a destination. parseIpAddr
// reads through simdjson and must answer exactly as QJsonDocument alone does.
#include "topology/parsers.h"
#include "topology/topologyjson.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace nestscope;
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto interfaces = topoparse::parseIpAddr(input);
    if (!interfaces.ok() && interfaces.error().message.isEmpty()) {
        std::abort();
    }
    const auto reference = topoparse::parseIpAddrWithQJson(input);
    if (interfaces.ok() != reference.ok()) {
        std::abort();
    }
    if (interfaces.ok()) {
        Topology a;
        Topology b;
        a.interfaces = interfaces.value();
        b.interfaces = reference.value();
        if (writeTopologyJson(a) != writeTopologyJson(b)) {
            std::abort();
        }
    } else if (interfaces.error().toString() != reference.error().toString()) {
        std::abort();
    }
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const auto routes = topoparse::parseIpRoutes(input, family);
        if (!routes.ok() && routes.error().message.isEmpty()) {
            std::abort();
        }
        if (routes.ok()) {
            for (const TopoRoute &r : routes.value()) {
                if (r.destination.isEmpty() || r.table.isEmpty() || r.family != family) {
                    std::abort();
                }
            }
        }
    }
    return 0;
}
