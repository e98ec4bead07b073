#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMap>
#include <QString>

#include <optional>

namespace nestscope {

enum class SampleStatus {
    Pass,
    Fail,
    Timeout,
    Error, ///< the probe could not be run or its output could not be read
    Skipped, ///< not run (cancelled, or a guard failed); message says why
};

QString toText(SampleStatus status);
std::optional<SampleStatus> sampleStatusFromString(const QString &text);

/// One measurement: one probe on one target, one repetition. Everything needed to trust
/// or question the verdict is kept: the exact command, its output (capped), exit code, timings.
struct Sample {
    QString probeId;
    QString target;
    int repetition = 0;
    SampleStatus status = SampleStatus::Error;
    /// Wall time of the probe; for HTTP the tool's own total when it reports one.
    double latencyMs = 0;
    int exitCode = -1; ///< -1 when the command did not exit normally
    int signal = 0;
    /// Named phases in ms (dns, connect, tls, first_byte, total for HTTP).
    QMap<QString, double> phasesMs;
    QString command;
    QByteArray stdOut;
    QByteArray stdErr;
    bool stdOutTruncated = false;
    bool stdErrTruncated = false;
    /// Why it failed, timed out or was skipped, in words. Empty for a pass.
    QString message;
    QDateTime startedAt;
};

/// One execution of a plan.
struct Run {
    QString planName;
    QString planFile;
    QByteArray planText; ///< the plan as it ran, so a run can be read and rerun later
    QMap<QString, QString> variables; ///< after --var / GUI overrides
    /// The runner's topology when the run started (topologyToJson(), compact), or empty for none.
    QByteArray topologyJson;
    QString host;
    QStringList probeIds;
    QStringList targets;
    QDateTime startedAt;
    QDateTime finishedAt;
    bool cancelled = false;
    QList<Sample> samples;

    int count(SampleStatus status) const;
    bool allPassed() const;
};

} // namespace nestscope
