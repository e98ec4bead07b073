// libFuzzer target: the discovery script's framed output, end to end. Splitting must accept or
// refuse any input cleanly; what it accepts becomes a Topology (never a failure), its problems,
// and JSON that reads back into the same Topology.
#include "topology/discovery.h"
#include "topology/problems.h"
#include "topology/topologyjson.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace nestscope;
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto sections = splitDiscoveryOutput(input);
    if (!sections.ok()) {
        if (sections.error().message.isEmpty()) {
            std::abort();
        }
        // the same bytes as a topology JSON document: refused or read, never a crash
        const auto json = readTopologyJson(input);
        if (json.ok()) {
            findProblems(json.value());
        }
        return 0;
    }
    const Topology topology = topologyFromSections(sections.value());
    findProblems(topology);
    const QByteArray json = writeTopologyJson(topology);
    const auto back = readTopologyJson(json);
    if (!back.ok() || writeTopologyJson(back.value()) != json) {
        std::abort();
    }
    return 0;
}
