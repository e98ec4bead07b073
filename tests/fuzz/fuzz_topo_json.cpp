// libFuzzer target: a topology document (`nestscope topology --json`, the snapshot in a run's JSON,
// both read back by the GUI from files people send each other) is read or refused cleanly; what
// is read writes back to a document that reads to the same bytes again.
#include "topology/topologyjson.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace nestscope;
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto topology = readTopologyJson(input);
    if (!topology.ok()) {
        if (topology.error().message.isEmpty()) {
            std::abort(); // a refusal must say why
        }
        return 0;
    }
    const QByteArray written = writeTopologyJson(topology.value());
    const auto again = readTopologyJson(written);
    if (!again.ok() || writeTopologyJson(again.value()) != written) {
        std::abort(); // what we write, we read back unchanged
    }
    return 0;
}
