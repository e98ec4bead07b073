// libFuzzer target: the firewall parsers (`nft -j list ruleset`, `iptables-save`,
// `ip6tables-save`, `iptables -V`) must accept or refuse any input cleanly.
#include "topology/parsers.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace nestscope;
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto nft = topoparse::parseNftRuleset(input);
    if (!nft.ok() && nft.error().message.isEmpty()) {
        std::abort();
    }
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const auto ipt = topoparse::parseIptablesSave(input, family);
        if (!ipt.ok() && (ipt.error().message.isEmpty() || ipt.error().line <= 0)) {
            std::abort(); // iptables-save errors always name their line
        }
        if (ipt.ok() && !ipt->forwardPolicy.isEmpty() && !ipt->tables.contains(QStringLiteral("filter"))) {
            std::abort(); // a FORWARD policy is read only from the filter table
        }
    }
    const auto variant = topoparse::parseIptablesVariant(input);
    if (variant.ok() && variant->isEmpty()) {
        std::abort();
    }
    return 0;
}
