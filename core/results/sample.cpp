#include "sample.h"

#include <algorithm>

namespace nestscope {

QString toText(SampleStatus status)
{
    switch (status) {
    case SampleStatus::Pass:
        return QStringLiteral("pass");
    case SampleStatus::Fail:
        return QStringLiteral("fail");
    case SampleStatus::Timeout:
        return QStringLiteral("timeout");
    case SampleStatus::Error:
        return QStringLiteral("error");
    case SampleStatus::Skipped:
        return QStringLiteral("skipped");
    }
    return QStringLiteral("error");
}

std::optional<SampleStatus> sampleStatusFromString(const QString &text)
{
    for (auto s :
        { SampleStatus::Pass, SampleStatus::Fail, SampleStatus::Timeout, SampleStatus::Error, SampleStatus::Skipped }) {
        if (toText(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

int Run::count(SampleStatus status) const
{
    return static_cast<int>(std::count_if(samples.cbegin(), samples.cend(), [status](const Sample &s) {
        return s.status == status;
    }));
}

bool Run::allPassed() const
{
    return !samples.isEmpty() && !cancelled && count(SampleStatus::Pass) == samples.size();
}

} // namespace nestscope
