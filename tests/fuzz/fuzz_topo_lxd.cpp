// libFuzzer target: the LXD/Incus parsers (`lxc query` of /1.0, networks, instances, leases)
// must accept or refuse any input cleanly, with an error message when they refuse. The
// instances parser reads through fastjson and must answer exactly as QJsonDocument alone does
// (same instances, same inspector text, same error); fastjson must accept nothing Qt refuses and
// write what it accepts as QJsonDocument::toJson does.
#include "topology/fastjson.h"
#include "topology/parsers.h"
#include "topology/topologyjson.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

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

void checkFastJson(const QByteArray &input)
{
    nestscope::fastjson::Document doc;
    if (!doc.parse(input)) {
        return;
    }
    QJsonParseError error;
    const QJsonDocument qt = QJsonDocument::fromJson(input, &error);
    if (error.error != QJsonParseError::NoError) {
        std::abort(); // fastjson took what Qt refuses
    }
    const auto root = doc.root();
    if (root.isObject()) {
        if (doc.indentedJson(root.toObject(), {}) != qt.toJson(QJsonDocument::Indented)) {
            std::abort();
        }
    } else if (root.isArray()) {
        const auto list = root.toArray();
        const QJsonArray qtList = qt.array();
        if (list.size() != qtList.size()) {
            std::abort();
        }
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (list.at(i).type() != qtList.at(i).type()) {
                std::abort();
            }
            if (list.at(i).isObject()
                && doc.indentedJson(list.at(i).toObject(), {})
                    != QJsonDocument(qtList.at(i).toObject()).toJson(QJsonDocument::Indented)) {
                std::abort();
            }
        }
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
    checkFastJson(input);
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
