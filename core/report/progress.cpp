#include "progress.h"

#include <QtMath>

#include <algorithm>
#include <tuple>

namespace nestscope {

QString formatClock(qint64 ms)
{
    const qint64 s = std::max<qint64>(0, ms) / 1000;
    const auto two = [](qint64 v) {
        return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0'));
    };
    if (s >= 3600) {
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(two((s / 60) % 60), two(s % 60));
    }
    return QStringLiteral("%1:%2").arg(s / 60).arg(two(s % 60));
}

QString terminalSafe(const QString &text)
{
    const auto isControl = [](char16_t c) {
        return (c < 0x20 && c != u'\n' && c != u'\t') || (c >= 0x7f && c <= 0x9f);
    };
    if (std::none_of(text.cbegin(), text.cend(), [&](QChar c) {
            return isControl(c.unicode());
        })) {
        return text;
    }
    QString safe;
    safe.reserve(text.size() + 16);
    for (const QChar c : text) {
        if (isControl(c.unicode())) {
            safe += QStringLiteral("\\x%1").arg(int(c.unicode()), 2, 16, QLatin1Char('0'));
        } else {
            safe += c;
        }
    }
    return safe;
}

QString progressBarLine(const ProgressState &state, const QString &current, int width)
{
    const int total = std::max(state.total, 1);
    const int done = std::clamp(state.done, 0, total);
    const int barWidth = std::clamp(width / 4, 10, 30);
    const int filled = barWidth * done / total;
    QString line = QLatin1Char('[') + QString(filled, QLatin1Char('#')) + QString(barWidth - filled, QChar(0x00B7))
        + QStringLiteral("] %1/%2 %3%").arg(done).arg(state.total).arg(100 * done / total, 3);
    line += QStringLiteral("  %1 elapsed").arg(formatClock(state.elapsedMs));
    if (done > 0 && done < state.total) {
        const qint64 left = state.elapsedMs * (state.total - done) / done;
        line += QStringLiteral(", ~%1 left").arg(formatClock(left));
    }
    if (state.problems > 0) {
        line += state.problems == 1 ? QStringLiteral("  1 problem")
                                    : QStringLiteral("  %1 problems").arg(state.problems);
    }
    if (!current.isEmpty()) {
        line += QStringLiteral("  ") + terminalSafe(current);
    }
    if (width > 0 && line.size() > width) {
        line.truncate(std::max(width - 1, 0));
        line += QChar(0x2026);
    }
    return line;
}

QString progressSampleLine(const ProgressState &state, const Sample &s)
{
    QString line = QStringLiteral("[%1/%2] %3 %4 on %5 #%6 %7 ms")
                       .arg(state.done)
                       .arg(state.total)
                       .arg(toText(s.status).leftJustified(7))
                       .arg(s.probeId, s.target)
                       .arg(s.repetition + 1)
                       .arg(qRound(s.latencyMs));
    if (!s.message.isEmpty()) {
        line += QStringLiteral(" — ") + s.message;
    }
    // A flood of output is not an error, but say that what is kept is only its start.
    QStringList cut;
    for (const auto &[name, output, truncated] : { std::tuple { "stdout", &s.stdOut, s.stdOutTruncated },
             std::tuple { "stderr", &s.stdErr, s.stdErrTruncated } }) {
        if (truncated) {
            cut << QStringLiteral("%1 cut at %2 KiB").arg(QLatin1StringView(name)).arg(output->size() / 1024);
        }
    }
    if (!cut.isEmpty()) {
        line += QStringLiteral(" (%1, the rest was dropped)").arg(cut.join(QStringLiteral(", ")));
    }
    return terminalSafe(line);
}

} // namespace nestscope
