// libFuzzer target: the LXD/Incus parsers (`lxc query` of /1.0, networks, instances, leases)
// must accept or refuse any input cleanly, with an error message when they refuse.
#include "topology/parsers.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace {

template <typename R> void check(const R &result)
{
    if (!result.ok() && result.error().message.isEmpty()) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace nestscope::topoparse;
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    check(parseLxdServer(input));
    check(parseLxdNetworks(input));
    const auto instances = parseLxdInstances(input);
    check(instances);
    if (instances.ok()) {
        for (const auto &instance : instances.value()) {
            if (instance.name.isEmpty()) {
                std::abort(); // a nameless instance must have been refused
            }
        }
    }
    check(parseLxdLeases(input, QStringLiteral("lxdbr0")));
    return 0;
}
