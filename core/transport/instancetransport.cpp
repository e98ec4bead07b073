#include "instancetransport.h"

#include "common/logging.h"
#include "common/shellquote.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>

#include <deque>
#include <vector>

namespace nestscope {

namespace {

// Written to stderr inside the instance just before the command; ASCII record separators around it
// keep it from looking like anything a probe prints.
constexpr char kMarker[] = "\x1ens-started\x1e";
constexpr qsizetype kMarkerSize = sizeof(kMarker) - 1;

class InstanceJob final : public CommandJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceJob)
public:
    InstanceJob(QObject *parent, const QString &instance)
        : CommandJob(parent)
        , m_instance(instance)
    {
    }

    ~InstanceJob() override
    {
        // Going away before the inner command finished (its transport owner was deleted):
        // stop it, so an `lxc exec` does not run on until its timeout with nobody listening.
        if (m_inner && !m_done) {
            m_inner->disconnect(this);
            m_inner->cancel();
        }
    }

    void attach(CommandJob *inner)
    {
        m_inner = inner;
        connect(inner, &CommandJob::stdOutChunk, this, &CommandJob::stdOutChunk);
        connect(inner, &CommandJob::stdErrChunk, this, &InstanceJob::onStdErr);
        connect(inner, &CommandJob::finished, this, &InstanceJob::onFinished);
    }

    void failNow(const QString &message)
    {
        CommandResult r;
        r.outcome = CommandOutcome::FailedToStart;
        r.errorString = message;
        QMetaObject::invokeMethod(
            this,
            [this, r] {
                Q_EMIT finished(r);
                deleteLater();
            },
            Qt::QueuedConnection);
    }

    void cancel() override
    {
        if (m_inner) {
            m_inner->cancel();
        }
    }

private:
    void onStdErr(const QByteArray &chunk)
    {
        if (m_started) {
            Q_EMIT stdErrChunk(chunk);
            return;
        }
        // Until the marker has been seen, stderr is the client's (lxc/incus) own.
        m_head += chunk;
        const qsizetype at = m_head.indexOf(QByteArray(kMarker, kMarkerSize));
        if (at >= 0) {
            m_started = true;
            const QByteArray rest = m_head.mid(at + kMarkerSize);
            if (!rest.isEmpty()) {
                Q_EMIT stdErrChunk(rest);
            }
        }
    }

    void onFinished(const CommandResult &innerResult)
    {
        m_done = true;
        CommandResult r = innerResult;
        const qsizetype at = r.stdErr.indexOf(QByteArray(kMarker, kMarkerSize));
        if (at >= 0) {
            m_started = true;
            r.stdErr.remove(0, at + kMarkerSize);
        }
        // The client writes its own errors to stderr only: output on stdout means the command ran,
        // even when the client lost the stderr stream (LXD 5.0 can drop it when a command exits
        // right after writing) and the marker with it.
        if (!r.stdOut.isEmpty()) {
            m_started = true;
        }
        if (!m_started && r.outcome == CommandOutcome::Exited && r.exitCode != 0) {
            r.outcome = CommandOutcome::FailedToStart;
            r.errorString = classify(QString::fromUtf8(r.stdErr).trimmed(), r.exitCode);
        }
        Q_EMIT finished(r);
        deleteLater();
    }

    QString classify(const QString &clientError, int exitCode) const
    {
        const QString lower = clientError.toLower();
        if (exitCode == 127) {
            return QStringLiteral("the runner cannot run the LXD/Incus client: %1").arg(clientError);
        }
        if (lower.contains(QLatin1String("agent"))) {
            return QStringLiteral("instance %1: its VM agent is not answering (%2)").arg(m_instance, clientError);
        }
        if (lower.contains(QLatin1String("not running"))) {
            return QStringLiteral("instance %1 is not running (%2)").arg(m_instance, clientError);
        }
        if (lower.contains(QLatin1String("not found"))) {
            return QStringLiteral("instance %1 does not exist (%2)").arg(m_instance, clientError);
        }
        return QStringLiteral("could not run the command in instance %1 (exit code %2): %3")
            .arg(m_instance)
            .arg(exitCode)
            .arg(clientError);
    }

    QPointer<CommandJob> m_inner;
    QString m_instance;
    QByteArray m_head;
    bool m_started = false;
    bool m_done = false; ///< the inner command has finished
};

} // namespace

namespace detail {

/// One command for a long-lived shell. Until a shell takes it, it waits in the queue; if none can,
/// it is handed to a plain `lxc exec` (an InstanceJob) and forwards that one's signals.
class ShellCommandJob final : public CommandJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShellCommandJob)
public:
    ShellCommandJob(InstanceShells *shells, const CommandRequest &request, QObject *parent)
        : CommandJob(parent)
        , m_shells(shells)
        , m_request(request)
    {
        m_clock.start();
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(request.timeout);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            stop(CommandOutcome::Timeout);
        });
        m_timer.start();
    }

    ~ShellCommandJob() override
    {
        if (m_inner && !m_done) {
            m_inner->disconnect(this);
            m_inner->cancel();
        }
    }

    void cancel() override { stop(CommandOutcome::Cancelled); }

    const CommandRequest &request() const { return m_request; }
    QElapsedTimer queuedAt; ///< since when it waits for a shell
    bool done() const { return m_done; }

    /// Output of the command, in order, kept up to the request's cap.
    void deliver(bool isStdErr, const char *data, qsizetype size)
    {
        if (m_done || size <= 0) {
            return;
        }
        QByteArray &buffer = isStdErr ? m_result.stdErr : m_result.stdOut;
        bool &truncated = isStdErr ? m_result.stdErrTruncated : m_result.stdOutTruncated;
        const qsizetype kept = std::min(std::max<qsizetype>(0, m_request.outputCap - buffer.size()), size);
        truncated = truncated || kept < size;
        if (kept > 0) {
            buffer.append(data, kept);
            const QByteArray chunk(data, kept);
            if (isStdErr) {
                Q_EMIT stdErrChunk(chunk);
            } else {
                Q_EMIT stdOutChunk(chunk);
            }
        }
    }

    void finish(CommandOutcome outcome, int exitCode, const QString &error)
    {
        if (m_done) {
            return;
        }
        m_done = true;
        m_timer.stop();
        m_result.outcome = outcome;
        m_result.exitCode = outcome == CommandOutcome::Exited ? exitCode : -1;
        m_result.errorString = error;
        m_result.wallTimeMs = m_clock.elapsed();
        Q_EMIT finished(m_result);
        deleteLater();
    }

    /// No shell can take it: run it with its own `lxc exec`, within what is left of its timeout.
    void runElsewhere(CommandJob *inner)
    {
        m_timer.stop();
        m_inner = inner;
        connect(inner, &CommandJob::stdOutChunk, this, &CommandJob::stdOutChunk);
        connect(inner, &CommandJob::stdErrChunk, this, &CommandJob::stdErrChunk);
        connect(inner, &CommandJob::finished, this, [this](const CommandResult &r) {
            m_done = true;
            CommandResult result = r;
            result.wallTimeMs = m_clock.elapsed();
            Q_EMIT finished(result);
            deleteLater();
        });
    }

    std::chrono::milliseconds remaining() const
    {
        return std::max(std::chrono::milliseconds(1), m_request.timeout - std::chrono::milliseconds(m_clock.elapsed()));
    }

private:
    void stop(CommandOutcome why);

    QPointer<InstanceShells> m_shells;
    CommandRequest m_request;
    CommandResult m_result;
    QElapsedTimer m_clock;
    QTimer m_timer;
    QPointer<CommandJob> m_inner;
    bool m_done = false;
};

/// The long-lived shells of one InstanceTransport, and the commands waiting for them.
class InstanceShells final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceShells)
public:
    struct Shell {
        enum class State { Starting, Ready };
        QPointer<InteractiveJob> job;
        State state = State::Starting;
        QPointer<ShellCommandJob> command; ///< running now; null when idle
        QByteArray token;
        QByteArray outPending;
        QByteArray errPending;
        bool outMarker = false;
        bool errMarker = false;
        bool rcKnown = false;
        int exitCode = -1;
        QElapsedTimer idle;
        QTimer grace; ///< the other stream's marker is late: give up on it
        QTimer startDeadline;
    };

    explicit InstanceShells(InstanceTransport *owner)
        : m_owner(owner)
    {
        m_idleCheck.setInterval(5000);
        connect(&m_idleCheck, &QTimer::timeout, this, &InstanceShells::closeIdle);
        m_overflow.setInterval(maxWaitMs / 4);
        connect(&m_overflow, &QTimer::timeout, this, &InstanceShells::overflow);
    }

    /// A command waits at most this long for a busy shell, then gets an `lxc exec` of its own
    /// (which costs about as much): short probes queue behind each other, a long one holds up
    /// nothing for long. Negative: commands always wait for a shell.
    int maxWaitMs = 200;

    void setMaxWait(int ms)
    {
        maxWaitMs = ms;
        m_overflow.setInterval(std::max(1, ms / 4));
        if (ms < 0) {
            m_overflow.stop();
        }
    }

    ~InstanceShells() override
    {
        for (auto &shell : m_shells) {
            if (shell->job) {
                shell->job->disconnect(this);
                if (shell->command) {
                    shell->job->cancel();
                } else {
                    shell->job->closeStdin(); // sh exits at the end of its input
                }
            }
        }
    }

    int maxShells = 3;

    int count() const { return static_cast<int>(m_shells.size()); }

    /// Takes the command if shells are in use: it runs in an idle shell, or waits for one (a new
    /// one is started while there are fewer than maxShells). Null means run it with its own
    /// `lxc exec`.
    CommandJob *start(const CommandRequest &request)
    {
        if (!usable() || !m_owner->m_runner) {
            return nullptr;
        }
        Shell *idle = idleShell();
        const int starting = countIn(Shell::State::Starting);
        if (!idle && starting <= static_cast<int>(m_queue.size()) && count() < std::min(maxShells, m_cap)
            && !startShell()) {
            return nullptr;
        }
        auto *job = new ShellCommandJob(this, request, m_owner);
        if (idle) {
            assign(idle, job);
        } else {
            m_queue.push_back(job);
            job->queuedAt.start();
            if (!m_overflow.isActive() && maxWaitMs >= 0) {
                m_overflow.start();
            }
        }
        return job;
    }

    void stop(ShellCommandJob *job, CommandOutcome why)
    {
        const QString message = why == CommandOutcome::Timeout
            ? QStringLiteral("killed after the timeout of %1 ms").arg(job->request().timeout.count())
            : QStringLiteral("cancelled");
        for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
            if (*it == job) {
                m_queue.erase(it);
                job->finish(why, -1, message);
                return;
            }
        }
        for (auto &shell : m_shells) {
            if (shell->command == job) {
                // The command cannot be stopped on its own: its shell goes, with everything it ran.
                shell->command = nullptr;
                remove(shell.get(), true);
                job->finish(why, -1, message);
                schedulePump();
                return;
            }
        }
    }

private:
    bool usable() const { return maxShells > 0 && !m_unsupported && m_coolDown.hasExpired(); }

    void overflow()
    {
        std::deque<QPointer<ShellCommandJob>> keep;
        std::vector<QPointer<ShellCommandJob>> late;
        for (const auto &job : m_queue) {
            if (!job || job->done()) {
                continue;
            }
            (maxWaitMs >= 0 && job->queuedAt.elapsed() >= maxWaitMs ? late.push_back(job) : keep.push_back(job));
        }
        m_queue = std::move(keep);
        if (m_queue.empty()) {
            m_overflow.stop();
        }
        for (const auto &job : late) {
            runWithExec(job);
        }
    }

    void runWithExec(ShellCommandJob *job)
    {
        CommandRequest request = job->request();
        request.timeout = job->remaining();
        job->runElsewhere(m_owner->startExec(request));
    }

    Shell *idleShell() const
    {
        for (const auto &shell : m_shells) {
            if (shell->state == Shell::State::Ready && !shell->command) {
                return shell.get();
            }
        }
        return nullptr;
    }

    int countIn(Shell::State state) const
    {
        int n = 0;
        for (const auto &shell : m_shells) {
            n += shell->state == state ? 1 : 0;
        }
        return n;
    }

    static QByteArray newToken()
    {
        QByteArray bytes(16, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
        return "NS" + bytes.toHex();
    }

    /// After a command (or the greeting), sh prints the token and the exit code on stdout, then
    /// the token on stderr; they mark where the command's output ends on each stream.
    static QByteArray trailer(const QByteArray &token)
    {
        return "__ns_rc=$?; printf '\\n%s %d\\n' " + token + " \"$__ns_rc\"; printf '%s\\n' " + token + " >&2\n";
    }

    bool startShell()
    {
        CommandRequest request;
        request.command = m_owner->shellCommand();
        request.timeout = std::chrono::milliseconds(0); // lives until closed
        InteractiveJob *job = m_owner->m_runner->startInteractive(request);
        if (!job) {
            m_unsupported = true;
            return false;
        }
        auto shell = std::make_unique<Shell>();
        Shell *raw = shell.get();
        shell->job = job;
        shell->token = newToken();
        shell->grace.setSingleShot(true);
        shell->grace.setInterval(1000);
        connect(&shell->grace, &QTimer::timeout, this, [this, raw] {
            onGraceOver(raw);
        });
        shell->startDeadline.setSingleShot(true);
        shell->startDeadline.setInterval(15000);
        connect(&shell->startDeadline, &QTimer::timeout, this, [this, raw] {
            qCInfo(lcTransport) << "a shell in instance" << m_owner->m_instance << "did not start in time";
            remove(raw, true);
            failedToStart();
        });
        shell->startDeadline.start();
        connect(job, &CommandJob::stdOutChunk, this, [this, raw](const QByteArray &data) {
            feed(raw, false, data);
        });
        connect(job, &CommandJob::stdErrChunk, this, [this, raw](const QByteArray &data) {
            feed(raw, true, data);
        });
        connect(job, &CommandJob::finished, this, [this, raw](const CommandResult &r) {
            onShellEnded(raw, r);
        });
        // The greeting: proves the shell runs and both of its streams reach us.
        job->write("true; " + trailer(shell->token));
        m_shells.push_back(std::move(shell));
        m_idleCheck.start();
        return true;
    }

    void assign(Shell *shell, ShellCommandJob *job)
    {
        shell->command = job;
        shell->token = newToken();
        shell->outPending.clear();
        shell->errPending.clear();
        shell->outMarker = shell->errMarker = shell->rcKnown = false;
        shell->exitCode = -1;
        // stdin is /dev/null so that a command never eats the next one.
        shell->job->write(
            "sh -c " + shellQuote(job->request().command).toUtf8() + " </dev/null; " + trailer(shell->token));
    }

    void feed(Shell *shell, bool isStdErr, const QByteArray &data)
    {
        QByteArray &pending = isStdErr ? shell->errPending : shell->outPending;
        bool &marker = isStdErr ? shell->errMarker : shell->outMarker;
        if (marker && (isStdErr || shell->rcKnown)) {
            return; // after its command's end: nothing of ours (a background process of it)
        }
        pending.append(data);
        if (!marker) {
            const QByteArray end = isStdErr ? QByteArray(shell->token + '\n') : QByteArray('\n' + shell->token + ' ');
            const qsizetype at = pending.indexOf(end);
            if (at >= 0) {
                if (shell->command) {
                    shell->command->deliver(isStdErr, pending.constData(), at);
                }
                pending.remove(0, at + end.size());
                marker = true;
            } else if (pending.size() >= end.size()) {
                // Keep what could be the start of the marker; the rest is output.
                const qsizetype safe = pending.size() - (end.size() - 1);
                if (shell->command) {
                    shell->command->deliver(isStdErr, pending.constData(), safe);
                }
                pending.remove(0, safe);
            }
        }
        if (marker && !isStdErr && !shell->rcKnown) {
            const qsizetype nl = pending.indexOf('\n');
            if (nl >= 0) {
                shell->exitCode = pending.left(nl).toInt();
                shell->rcKnown = true;
            }
        }
        if (shell->rcKnown && shell->errMarker) {
            complete(shell);
        } else if ((shell->rcKnown || shell->errMarker) && !shell->grace.isActive()) {
            shell->grace.start();
        }
    }

    void complete(Shell *shell)
    {
        shell->grace.stop();
        shell->idle.start();
        if (shell->state == Shell::State::Starting) {
            shell->state = Shell::State::Ready;
            shell->startDeadline.stop();
            pump();
            return;
        }
        QPointer<ShellCommandJob> job = shell->command;
        const int exitCode = shell->exitCode;
        shell->command = nullptr;
        pump(); // a waiting command takes this shell (and resets it) before the owner starts more
        if (job) {
            job->finish(CommandOutcome::Exited, exitCode, QString());
        }
    }

    /// One stream's marker came and the other's did not: that stream is not reliable here (a
    /// client that drops stderr), so the shell goes; the command keeps what arrived.
    void onGraceOver(Shell *shell)
    {
        qCInfo(lcTransport) << "a shell in instance" << m_owner->m_instance << "lost one of its output streams";
        QPointer<ShellCommandJob> job = shell->command;
        const bool starting = shell->state == Shell::State::Starting;
        const int exitCode = shell->exitCode;
        const bool rcKnown = shell->rcKnown;
        shell->command = nullptr;
        remove(shell, true);
        if (starting) {
            m_unsupported = true; // every shell would lose it: plain exec from now on
            failedToStart();
        } else if (job) {
            job->finish(rcKnown ? CommandOutcome::Exited : CommandOutcome::FailedToStart, exitCode,
                rcKnown ? QString()
                        : QStringLiteral("the shell in instance %1 lost its output").arg(m_owner->m_instance));
        }
        schedulePump();
    }

    void onShellEnded(Shell *shell, const CommandResult &r)
    {
        const bool starting = shell->state == Shell::State::Starting;
        QPointer<ShellCommandJob> job = shell->command;
        shell->command = nullptr;
        remove(shell, false);
        if (starting) {
            qCInfo(lcTransport) << "no shell in instance" << m_owner->m_instance << "(" << toText(r.outcome)
                                << r.exitCode << "); running commands with lxc exec";
            failedToStart();
        }
        if (job) {
            const bool lost = r.outcome == CommandOutcome::ConnectionLost;
            job->finish(lost ? CommandOutcome::ConnectionLost : CommandOutcome::FailedToStart, -1,
                lost ? r.errorString
                     : QStringLiteral("the shell in instance %1 ended while the command ran").arg(m_owner->m_instance));
        }
        schedulePump();
    }

    /// A shell would not start: with none running, leave shells alone for a while (the instance
    /// is stopped, say, and plain exec names why); with some running, keep to those.
    void failedToStart()
    {
        if (countIn(Shell::State::Ready) == 0) {
            m_coolDown.setRemainingTime(30000);
        } else {
            m_cap = std::max(1, count());
        }
        schedulePump();
    }

    void remove(Shell *shell, bool kill)
    {
        for (auto it = m_shells.begin(); it != m_shells.end(); ++it) {
            if (it->get() != shell) {
                continue;
            }
            std::unique_ptr<Shell> owned = std::move(*it);
            m_shells.erase(it);
            owned->grace.stop();
            owned->startDeadline.stop();
            if (owned->job) {
                owned->job->disconnect(this);
                if (kill) {
                    owned->job->cancel();
                } else {
                    owned->job->closeStdin();
                }
            }
            // Freed from the event loop: this may run inside one of its timers' signals.
            m_removed.push_back(std::move(owned));
            QMetaObject::invokeMethod(
                this,
                [this] {
                    m_removed.clear();
                },
                Qt::QueuedConnection);
            return;
        }
    }

    void schedulePump() { QMetaObject::invokeMethod(this, &InstanceShells::pump, Qt::QueuedConnection); }

    /// Gives waiting commands to idle shells; those no shell will take go to plain exec.
    void pump()
    {
        while (!m_queue.empty()) {
            if (!m_queue.front() || m_queue.front()->done()) {
                m_queue.pop_front();
                continue;
            }
            Shell *idle = idleShell();
            if (!idle) {
                break;
            }
            ShellCommandJob *job = m_queue.front();
            m_queue.pop_front();
            assign(idle, job);
        }
        if (m_queue.empty()) {
            return;
        }
        int starting = usable() ? countIn(Shell::State::Starting) : 0;
        while (usable() && static_cast<int>(m_queue.size()) > starting && count() < std::min(maxShells, m_cap)
            && startShell()) {
            ++starting;
        }
        if (count() > 0) {
            return; // they wait for a shell (see overflow())
        }
        // No shell will come: every waiting command gets its own exec.
        std::deque<QPointer<ShellCommandJob>> waiting;
        waiting.swap(m_queue);
        m_overflow.stop();
        for (const auto &job : waiting) {
            if (job && !job->done()) {
                runWithExec(job);
            }
        }
    }

    void closeIdle()
    {
        for (size_t i = 0; i < m_shells.size();) {
            Shell *shell = m_shells[i].get();
            if (shell->state == Shell::State::Ready && !shell->command && shell->idle.elapsed() > 30000) {
                remove(shell, false);
            } else {
                ++i;
            }
        }
        if (m_shells.empty()) {
            m_idleCheck.stop();
        }
    }

    InstanceTransport *m_owner;
    std::vector<std::unique_ptr<Shell>> m_shells;
    std::vector<std::unique_ptr<Shell>> m_removed; ///< gone, to be freed from the event loop
    std::deque<QPointer<ShellCommandJob>> m_queue;
    QDeadlineTimer m_coolDown { 0 };
    QTimer m_idleCheck;
    QTimer m_overflow;
    int m_cap = 1 << 20;
    bool m_unsupported = false; ///< the runner's transport has no interactive commands
};

void ShellCommandJob::stop(CommandOutcome why)
{
    if (m_done) {
        return;
    }
    if (m_inner) {
        m_inner->cancel();
        return;
    }
    if (m_shells) {
        m_shells->stop(this, why);
    }
}

} // namespace detail

InstanceTransport::InstanceTransport(Transport *runner, const QString &instance, Client client, QObject *parent)
    : Transport(parent)
    , m_runner(runner)
    , m_instance(instance)
    , m_client(client)
    , m_shells(std::make_unique<detail::InstanceShells>(this))
{
}

InstanceTransport::~InstanceTransport() = default;

void InstanceTransport::setMaxShells(int count)
{
    m_shells->maxShells = std::max(0, count);
}

int InstanceTransport::maxShells() const
{
    return m_shells->maxShells;
}

void InstanceTransport::setShellWait(std::chrono::milliseconds wait)
{
    m_shells->setMaxWait(wait.count() < 0 ? -1 : static_cast<int>(std::min<qint64>(wait.count(), 1 << 30)));
}

int InstanceTransport::shellCount() const
{
    return m_shells->count();
}

QString InstanceTransport::description() const
{
    return QStringLiteral("%1 on %2").arg(m_instance, m_runner ? m_runner->description() : QStringLiteral("?"));
}

bool InstanceTransport::isValidInstanceName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    return re.match(name).hasMatch();
}

QString InstanceTransport::wrap(const QString &command) const
{
    const QString inner = QStringLiteral("printf '\\036ns-started\\036' >&2; ") + command;
    return clientPick() + QStringLiteral("exec \"$c\" exec ") + shellQuote(m_instance) + QStringLiteral(" -- sh -c ")
        + shellQuote(inner);
}

QString InstanceTransport::shellCommand() const
{
    return clientPick() + QStringLiteral("exec \"$c\" exec ") + shellQuote(m_instance) + QStringLiteral(" -- sh");
}

QString InstanceTransport::clientPick() const
{
    QString pick;
    switch (m_client) {
    case Client::Lxc:
        pick = QStringLiteral("c=lxc; ");
        break;
    case Client::Incus:
        pick = QStringLiteral("c=incus; ");
        break;
    case Client::Auto:
        pick = QStringLiteral("if command -v lxc >/dev/null 2>&1; then c=lxc; "
                              "elif command -v incus >/dev/null 2>&1; then c=incus; "
                              "else echo 'neither lxc nor incus is installed on the runner' >&2; exit 127; fi; ");
        break;
    }
    return pick;
}

CommandJob *InstanceTransport::start(const CommandRequest &request)
{
    if (isValidInstanceName(m_instance) && m_runner) {
        if (CommandJob *inShell = m_shells->start(request)) {
            return inShell;
        }
    }
    return startExec(request);
}

/// The command with an `lxc exec` of its own (and the validation and error naming that go with it).
CommandJob *InstanceTransport::startExec(const CommandRequest &request)
{
    auto *job = new InstanceJob(this, m_instance);
    if (!isValidInstanceName(m_instance)) {
        job->failNow(QStringLiteral("\"%1\" is not a valid instance name").arg(m_instance));
        return job;
    }
    if (!m_runner) {
        job->failNow(QStringLiteral("the runner's transport is gone"));
        return job;
    }
    CommandRequest wrapped = request;
    wrapped.command = wrap(request.command);
    job->attach(m_runner->start(wrapped));
    return job;
}

} // namespace nestscope

#include "instancetransport.moc"
