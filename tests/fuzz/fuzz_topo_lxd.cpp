// libFuzzer target: the LXD/Incus parsers (`lxc query` of /1.0, networks, instances, leases)
// must accept or refuse any input cleanly, with an error message when they refuse. The
// instances parser reads through simdjson and must answer exactly as QJsonDocument alone does
// (same instances, same inspector text, same error), on the input and on the input as the value
// of an instance's field: simdjson's side must accept nothing Qt refuses and write what it
// accepts as QJsonDocument::toJson does.
#include "topology/parsers.h"
#include "topology/topologyjson.h"

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

QByteArray instancesJson(const QList<nestscope::TopoInstance> &instances)
{
    nestscope::Topology t;
    t.instances = instances;
    return nestscope::writeTopologyJson(t);
}

/// `input` as a field of an instance: simdjson's side writes it into the inspector text exactly
/// as QJsonDocument::toJson does, or both refuse it with the same error.
void checkAsField(const QByteArray &input)
{
    using namespace nestscope::topoparse;
    const QByteArray wrapped = "[{\"name\": \"x\", \"v\": " + input + "}]";
    const auto fast = parseLxdInstances(wrapped);
    const auto slow = parseLxdInstancesWithQJson(wrapped);
    if (fast.ok() != slow.ok()) {
        std::abort();
    }
    if (fast.ok() ? instancesJson(fast.value()) != instancesJson(slow.value())
                  : fast.error().toString() != slow.error().toString()) {
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
    const auto reference = parseLxdInstancesWithQJson(input);
    if (instances.ok() != reference.ok()) {
        std::abort();
    }
    if (instances.ok() ? instancesJson(instances.value()) != instancesJson(reference.value())
                       : instances.error().toString() != reference.error().toString()) {
        std::abort();
    }
    checkAsField(input);
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
