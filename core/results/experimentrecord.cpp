#include "results/experimentrecord.h"

namespace nestscope {

namespace {

const QList<std::pair<ExperimentState, const char *>> &stateNames()
{
    static const QList<std::pair<ExperimentState, const char *>> names {
        { ExperimentState::Applying, "applying" },
        { ExperimentState::Applied, "applied" },
        { ExperimentState::Failed, "failed" },
        { ExperimentState::Reverting, "reverting" },
        { ExperimentState::Reverted, "reverted" },
        { ExperimentState::Kept, "kept" },
    };
    return names;
}

} // namespace

QString toText(ExperimentState state)
{
    for (const auto &[s, name] : stateNames()) {
        if (s == state) {
            return QString::fromLatin1(name);
        }
    }
    return {};
}

std::optional<ExperimentState> experimentStateFromText(const QString &text)
{
    for (const auto &[s, name] : stateNames()) {
        if (text == QLatin1String(name)) {
            return s;
        }
    }
    return std::nullopt;
}

QStringList Experiment::revertCommands() const
{
    QStringList list;
    for (int i = std::min(applied, int(steps.size())) - 1; i >= 0; --i) {
        if (!steps.at(i).revert.isEmpty()) {
            list << steps.at(i).revert;
        }
    }
    return list;
}

} // namespace nestscope
