#pragma once

#include "common/result.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>

namespace nestscope {

enum class ProbeKind { Shell, Http };

QString toText(ProbeKind kind);

/// One check, as the plan author wrote it. Probes are data: a kind and its parameters,
/// compiled to a command for the target only when they run (see probes.h).
struct Probe {
    QString id;
    QString description;
    ProbeKind kind = ProbeKind::Shell;
    std::chrono::milliseconds timeout { 0 };
    int repeat = 1;

    // shell
    QString command;
    int expectExit = 0;
    QString expectStdout; ///< a regular expression the output must match, when set

    // http
    QUrl url;
    QList<int> expectStatus; ///< empty: any 2xx or 3xx

    int line = 0; ///< where it is defined in the plan file, for messages
};

/// Probes x targets x repetitions, with timeouts.
struct Plan {
    QString name;
    QString description;
    QString sourceFile;
    QByteArray sourceText;
    QStringList targets; ///< `runner` when the file names none
    QList<Probe> probes;
    std::chrono::milliseconds defaultTimeout { 30000 };
    int defaultRepeat = 1;
    int concurrency = 4;

    const Probe *probe(const QString &id) const;
    int sampleCount() const;
};

/// Reads a plan (YAML; JSON is YAML too). Errors carry file, line and column (1-based).
Result<Plan> parsePlan(const QByteArray &text, const QString &fileName = {});
Result<Plan> loadPlanFile(const QString &path);

/// The names of the plans built into Nestscope (use them as "builtin:NAME").
QStringList builtinPlanNames();
/// Loads "builtin:NAME" from the built-in plans, or else a file path.
Result<Plan> loadPlan(const QString &spec);

/// "10s", "500ms", "2m", "1.5s" or a bare number of seconds.
std::optional<std::chrono::milliseconds> parseDuration(const QString &text);

} // namespace nestscope
