// libFuzzer target: parsePlan must turn any byte string into a plan or an Error, never crash,
// hang or throw. Run: build/asan/tests/fuzz/fuzz_plan -max_total_time=60 tests/fuzz/corpus/plan
#include "plan/plan.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto plan = nestscope::parsePlan(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (!plan.ok()) {
        // Every error must say where; a position of 0 means "the whole file" and is allowed.
        (void)plan.error().toString();
    }
    return 0;
}
