#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include <chrono>

namespace nestscope {

/// What to run: one shell command line, interpreted by the target's POSIX `sh`.
struct CommandRequest {
    QString command;
    std::chrono::milliseconds timeout { 30000 };
    /// Per stream; output beyond it is read and dropped so the command never blocks on a full pipe.
    qsizetype outputCap = 1024 * 1024;
};

/// How a command ended. Exited covers every exit code; the rest mean no exit code is available.
enum class CommandOutcome {
    Exited, ///< ran to the end; exitCode is valid
    Signalled, ///< killed by a signal it did not expect; signal is valid
    Timeout, ///< outlived its timeout and was killed together with its children
    Cancelled, ///< stopped on request
    FailedToStart, ///< the transport could not start it (no shell, no such program, ...)
    ConnectionLost, ///< the transport went away while it ran
};

QString toText(CommandOutcome outcome);

struct CommandResult {
    CommandOutcome outcome = CommandOutcome::FailedToStart;
    int exitCode = -1;
    int signal = 0;
    qint64 wallTimeMs = 0;
    QByteArray stdOut;
    QByteArray stdErr;
    bool stdOutTruncated = false;
    bool stdErrTruncated = false;
    /// For every outcome but Exited: what happened, in words.
    QString errorString;
};

/// One running command. Emits its output as it arrives and `finished` exactly once;
/// it is deleted later by the transport after `finished`, so receivers must not keep it.
class CommandJob : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CommandJob)
public:
    using QObject::QObject;

    /// Stops the command (and its children) soon; `finished` then reports Cancelled.
    virtual void cancel() = 0;

Q_SIGNALS:
    void stdOutChunk(const QByteArray &data);
    void stdErrChunk(const QByteArray &data);
    void finished(const nestscope::CommandResult &result);
};

/// A command whose stdin stays open: what long-lived shells are built on. Its output is only
/// streamed (stdOutChunk / stdErrChunk), never collected in the result, however long it runs.
class InteractiveJob : public CommandJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InteractiveJob)
public:
    using CommandJob::CommandJob;

    /// Queues bytes for the command's stdin, in order; kept until the command has started.
    virtual void write(const QByteArray &data) = 0;
    /// Ends the command's stdin after what was written before.
    virtual void closeStdin() = 0;
};

/// Somewhere commands run: the local machine, an SSH host, an LXD instance on either.
/// Implementations are asynchronous; `start` never blocks the calling thread.
class Transport : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Transport)
public:
    using QObject::QObject;

    /// A short human description, e.g. "local" or "ssh://runner-3".
    virtual QString description() const = 0;

    /// Starts a command. The job belongs to the transport and deletes itself after `finished`.
    virtual CommandJob *start(const CommandRequest &request) = 0;

    /// Starts a command whose stdin stays open for InteractiveJob::write(); a timeout of zero
    /// means none. Null when this transport cannot (the default): then only start() is available.
    /// Owned as start()'s jobs are. An SSH transport gives it a channel of its own for as long as it
    /// runs, and refuses (FailedToStart) when that would leave fewer than two for other commands.
    virtual InteractiveJob *startInteractive(const CommandRequest &request)
    {
        Q_UNUSED(request)
        return nullptr;
    }
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::CommandResult)
