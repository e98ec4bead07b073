#pragma once

#include <QString>
#include <QStringList>

namespace nestscope {

/// Quotes one word for POSIX sh so that it reaches the command as exactly this text.
/// Single quotes protect everything but a single quote itself, which becomes '\''.
inline QString shellQuote(const QString &word)
{
    if (!word.isEmpty()) {
        bool safe = true;
        for (const QChar c : word) {
            if (!(c.isLetterOrNumber() && c.unicode() < 128) && !QStringLiteral("@%+=:,./_-").contains(c)) {
                safe = false;
                break;
            }
        }
        if (safe) {
            return word;
        }
    }
    QString quoted = word;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

inline QString shellJoin(const QStringList &words)
{
    QStringList quoted;
    quoted.reserve(words.size());
    for (const QString &w : words) {
        quoted << shellQuote(w);
    }
    return quoted.join(QLatin1Char(' '));
}

} // namespace nestscope
