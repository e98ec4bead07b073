// libFuzzer target: runFromJson must accept or refuse any input cleanly, and what it accepts
// must survive a write/read round trip unchanged in size.
#include "results/runjson.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto run = nestscope::runFromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (run.ok()) {
        const auto again = nestscope::runFromJson(nestscope::runToJson(run.value()));
        if (!again.ok() || again->samples.size() != run->samples.size()) {
            std::abort();
        }
    }
    return 0;
}
