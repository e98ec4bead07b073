#pragma once

// Samples that the crash helper writes and tst_runstore checks: both sides derive sample i
// from i alone, so the test knows what every committed row must hold.

#include "results/sample.h"

#include <QDateTime>

namespace nestscope::testdata {

inline Sample numberedSample(int i)
{
    Sample s;
    s.probeId = QStringLiteral("probe-%1").arg(i % 7);
    s.target = i % 2 ? QStringLiteral("vm1") : QStringLiteral("runner");
    s.repetition = i;
    static constexpr SampleStatus kStatuses[]
        = { SampleStatus::Pass, SampleStatus::Pass, SampleStatus::Fail, SampleStatus::Timeout, SampleStatus::Error };
    s.status = kStatuses[i % 5];
    s.latencyMs = 0.5 + i * 1.25;
    s.exitCode = s.status == SampleStatus::Pass ? 0 : 1;
    s.signal = s.status == SampleStatus::Timeout ? 9 : 0;
    if (i % 3 == 0) {
        s.phasesMs = { { QStringLiteral("dns"), i * 0.1 }, { QStringLiteral("connect"), 2.0 },
            { QStringLiteral("total"), s.latencyMs } };
    }
    s.command = QStringLiteral("curl -sS http://127.0.0.1:%1/").arg(8000 + i);
    s.stdOut = QByteArray("sample ") + QByteArray::number(i) + QByteArray("\n\xff\x00 binary", 10);
    s.stdErr = i % 4 ? QByteArray() : QByteArray("warning ") + QByteArray::number(i);
    s.stdOutTruncated = i % 11 == 0;
    s.stdErrTruncated = i % 13 == 0;
    s.message = s.status == SampleStatus::Pass ? QString() : QStringLiteral("failure %1").arg(i);
    s.startedAt = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000LL + i * 10LL, Qt::UTC);
    return s;
}

inline bool sameSample(const Sample &a, const Sample &b)
{
    return a.probeId == b.probeId && a.target == b.target && a.repetition == b.repetition && a.status == b.status
        && a.latencyMs == b.latencyMs && a.exitCode == b.exitCode && a.signal == b.signal && a.phasesMs == b.phasesMs
        && a.command == b.command && a.stdOut == b.stdOut && a.stdErr == b.stdErr
        && a.stdOutTruncated == b.stdOutTruncated && a.stdErrTruncated == b.stdErrTruncated && a.message == b.message
        && a.startedAt == b.startedAt;
}

} // namespace nestscope::testdata
