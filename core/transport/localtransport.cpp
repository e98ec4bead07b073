#include "localtransport.h"

#include "common/logging.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QProcess>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <iterator>
#include <optional>
#include <sys/socket.h>
#include <sys/types.h>
#ifdef Q_OS_LINUX
#include <sys/prctl.h>
#endif
#include <unistd.h>

namespace nestscope {

QString toText(CommandOutcome outcome)
{
    switch (outcome) {
    case CommandOutcome::Exited:
        return QStringLiteral("exited");
    case CommandOutcome::Signalled:
        return QStringLiteral("signalled");
    case CommandOutcome::Timeout:
        return QStringLiteral("timeout");
    case CommandOutcome::Cancelled:
        return QStringLiteral("cancelled");
    case CommandOutcome::FailedToStart:
        return QStringLiteral("failed to start");
    case CommandOutcome::ConnectionLost:
        return QStringLiteral("connection lost");
    }
    return QStringLiteral("unknown");
}

namespace {

/// Ends the process groups of the commands still running when Nestscope dies, however it dies:
/// SIGKILL runs no handler and no destructor, and PR_SET_PDEATHSIG reaches only the shell, not
/// what the shell started. A guard process, forked once, holds one end of a socket pair whose
/// other end only Nestscope holds; each command's group is announced (+pgid) once its shell has
/// started and withdrawn (-pgid) once the shell has exited. When the socket says end of file,
/// Nestscope is gone: the guard kills every group still announced and exits.
class ChildGuard {
public:
    static ChildGuard &instance()
    {
        static ChildGuard guard;
        return guard;
    }
    void add(pid_t pgid) { send(pgid); }
    void remove(pid_t pgid) { send(-pgid); }
    /// The socket a command's own child side announces its group on, between fork and exec: so
    /// the group is known before the shell can start anything (the parent learns that the shell
    /// started only when its event loop gets to it, which on a loaded machine came after the
    /// shell's first child, which then outlived a SIGKILLed Nestscope). -1 without a guard.
    int socket() const { return m_fd; }
    /// Async-signal-safe: for the child between fork and exec.
    static void announce(int fd, pid_t pgid)
    {
        if (fd < 0) {
            return;
        }
        const qint32 record = pgid;
        while (::send(fd, &record, sizeof record, MSG_NOSIGNAL) < 0 && errno == EINTR) { }
    }

private:
    ChildGuard()
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
            return; // no guard: commands still end on every signal Nestscope can handle
        }
        const pid_t pid = ::fork();
        if (pid < 0) {
            ::close(fds[0]);
            ::close(fds[1]);
            return;
        }
        if (pid == 0) {
            ::close(fds[1]);
            watch(fds[0]);
        }
        ::close(fds[0]);
        m_fd = fds[1];
    }

    void send(pid_t value) const
    {
        if (m_fd < 0) {
            return;
        }
        const qint32 record = value;
        // MSG_NOSIGNAL: a guard that is gone must not take Nestscope with it (SIGPIPE).
        while (::send(m_fd, &record, sizeof record, MSG_NOSIGNAL) < 0 && errno == EINTR) { }
    }

    /// The guard. Only async-signal-safe calls: the fork copied one thread of a threaded process.
    [[noreturn]] static void watch(int fd)
    {
        // Hold nothing else of Nestscope's open: a reader of its output would wait for our end too.
        if (fd != 3) {
            ::dup2(fd, 3);
            fd = 3;
        }
        ::close_range(4, ~0U, 0);
        ::close(STDIN_FILENO);
        ::close(STDOUT_FILENO);
        ::close(STDERR_FILENO);
        // Ctrl+C at a terminal reaches the guard too (it is in Nestscope's process group): it must
        // outlive Nestscope, never die before it.
        struct sigaction ignore { };
        ignore.sa_handler = SIG_IGN;
        for (const int signal : { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU }) {
            ::sigaction(signal, &ignore, nullptr);
        }
        static pid_t groups[8192];
        std::size_t count = 0;
        for (;;) {
            qint32 record = 0;
            const ssize_t n = ::recv(fd, &record, sizeof record, 0);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break; // Nestscope is gone
            }
            if (n != sizeof record || record == 0) {
                continue;
            }
            if (record > 0) {
                // announced by the command's child side and again by Nestscope: kept once
                bool known = false;
                for (std::size_t i = 0; i < count && !known; ++i) {
                    known = groups[i] == record;
                }
                if (!known && count < std::size(groups)) {
                    groups[count++] = record;
                }
            } else {
                for (std::size_t i = 0; i < count; ++i) {
                    if (groups[i] == -record) {
                        groups[i] = groups[--count];
                        break;
                    }
                }
            }
        }
        for (std::size_t i = 0; i < count; ++i) {
            ::kill(-groups[i], SIGKILL);
        }
        ::_exit(0);
    }

    int m_fd = -1;
};

class LocalJob final : public InteractiveJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalJob)
public:
    LocalJob(const CommandRequest &request, bool interactive, QObject *parent)
        : InteractiveJob(parent)
        , m_cap(interactive ? 0 : request.outputCap)
        , m_interactive(interactive)
    {
        m_process.setProgram(QStringLiteral("/bin/sh"));
        m_process.setArguments({ QStringLiteral("-c"), request.command });
        // Its own session makes the shell a process-group leader: kill(-pgid) then reaches every
        // child, grandchild and background job, which a plain QProcess::kill() would orphan.
        // PR_SET_PDEATHSIG: when Nestscope dies, even by SIGKILL where no handler runs, the kernel
        // kills the shell, also in the moment before the ChildGuard knows its group (which then
        // kills what the shell started). It is tied to the thread that forks: the main thread for
        // the CLI and the GUI.
        m_process.setChildProcessModifier([parent = ::getpid(), guard = ChildGuard::instance().socket()] {
            ::setsid();
            // Before anything of the command runs. (Should the exec below fail, the group stays
            // announced with no process in it; /bin/sh failing to start is the one case.)
            ChildGuard::announce(guard, ::getpid());
            // An ignored SIGPIPE would stay ignored across exec (the CLI ignores it for itself):
            // `yes | head` in a probe must end as it does in a shell.
            struct sigaction pipeDefault { };
            pipeDefault.sa_handler = SIG_DFL;
            ::sigaction(SIGPIPE, &pipeDefault, nullptr);
#ifdef Q_OS_LINUX
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) {
                ::_exit(127); // Nestscope died before the line above took effect
            }
#endif
        });
        if (!interactive) {
            m_process.setStandardInputFile(QProcess::nullDevice());
        }

        connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
            append(m_result.stdOut, m_result.stdOutTruncated, m_process.readAllStandardOutput(), true);
        });
        connect(&m_process, &QProcess::readyReadStandardError, this, [this] {
            append(m_result.stdErr, m_result.stdErrTruncated, m_process.readAllStandardError(), false);
        });
        connect(&m_process, &QProcess::started, this, [this] {
            m_pgid = m_process.processId();
            ChildGuard::instance().add(pid_t(m_pgid));
            m_guarded = true;
            if (m_stopReason) {
                killGroup(); // the timeout or cancel came while the process was still starting
            }
        });
        connect(&m_process, &QProcess::finished, this, &LocalJob::onFinished);
        connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
            if (error == QProcess::FailedToStart) {
                m_result.outcome = CommandOutcome::FailedToStart;
                m_result.errorString = m_process.errorString();
                finish();
            }
        });

        m_timer.setSingleShot(true);
        m_timer.setInterval(request.timeout);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            stop(CommandOutcome::Timeout);
        });
    }

    ~LocalJob() override
    {
        // Never leave a process group behind, even if the owner goes away mid-command. Its end is
        // nobody's news: waitForFinished() would otherwise emit finished() from this destructor,
        // into receivers that may be half destroyed themselves (a transport going away with it).
        disconnect(&m_process, nullptr, this, nullptr);
        if (m_process.state() != QProcess::NotRunning) {
            killGroup();
            m_process.waitForFinished(1000);
        }
        unguard();
    }

    void begin()
    {
        if (m_done) {
            return; // cancelled before it started
        }
        m_clock.start();
        if (!m_interactive || m_timer.interval() > 0) {
            m_timer.start();
        }
        m_process.start();
        if (m_interactive) {
            if (!m_stdin.isEmpty()) {
                m_process.write(m_stdin); // QProcess keeps it until the process has started
                m_stdin.clear();
            }
            if (m_closeStdin) {
                m_process.closeWriteChannel();
            }
            m_begun = true;
        }
    }

    void cancel() override
    {
        stop(CommandOutcome::Cancelled);
    }

    void write(const QByteArray &data) override
    {
        if (!m_interactive || m_done || m_closeStdin) {
            return;
        }
        if (m_begun) {
            m_process.write(data);
        } else {
            m_stdin += data;
        }
    }

    void closeStdin() override
    {
        if (!m_interactive || m_closeStdin) {
            return;
        }
        m_closeStdin = true;
        if (m_begun) {
            m_process.closeWriteChannel();
        }
    }

private:
    void append(QByteArray &buffer, bool &truncated, const QByteArray &chunk, bool isStdOut)
    {
        if (chunk.isEmpty()) {
            return;
        }
        const qsizetype room = m_cap - buffer.size();
        if (room >= chunk.size()) {
            buffer.append(chunk);
        } else {
            if (room > 0) {
                buffer.append(chunk.constData(), room);
            }
            truncated = true;
        }
        if (isStdOut) {
            Q_EMIT stdOutChunk(chunk);
        } else {
            Q_EMIT stdErrChunk(chunk);
        }
    }

    void stop(CommandOutcome why)
    {
        if (m_done || m_stopReason) {
            return;
        }
        m_stopReason = why;
        qCDebug(lcTransport) << "stopping local command" << m_pgid << "because" << toText(why);
        killGroup();
        if (m_process.state() == QProcess::NotRunning) {
            m_result.outcome = why;
            finish();
        }
    }

    /// The shell has exited: its group is no longer the guard's to kill (its number may be reused).
    void unguard()
    {
        if (m_guarded) {
            m_guarded = false;
            ChildGuard::instance().remove(pid_t(m_pgid));
        }
    }

    void killGroup()
    {
        if (m_pgid > 0) {
            ::kill(-static_cast<pid_t>(m_pgid), SIGKILL);
        }
    }

    void onFinished(int exitCode, QProcess::ExitStatus status)
    {
        unguard();
        // Read what is still buffered before looking at how it ended.
        append(m_result.stdOut, m_result.stdOutTruncated, m_process.readAllStandardOutput(), true);
        append(m_result.stdErr, m_result.stdErrTruncated, m_process.readAllStandardError(), false);
        if (m_stopReason) {
            m_result.outcome = *m_stopReason;
            m_result.errorString = m_result.outcome == CommandOutcome::Timeout
                ? QStringLiteral("killed after the timeout of %1 ms").arg(m_timer.interval())
                : QStringLiteral("cancelled");
        } else if (status == QProcess::CrashExit) {
            m_result.outcome = CommandOutcome::Signalled;
            m_result.signal = exitCode;
            m_result.errorString = QStringLiteral("killed by signal %1").arg(exitCode);
        } else {
            m_result.outcome = CommandOutcome::Exited;
            m_result.exitCode = exitCode;
        }
        finish();
    }

    void finish()
    {
        if (m_done) {
            return;
        }
        m_done = true;
        m_timer.stop();
        m_result.wallTimeMs = m_clock.isValid() ? m_clock.elapsed() : 0;
        Q_EMIT finished(m_result);
        deleteLater();
    }

    QProcess m_process;
    QTimer m_timer;
    QElapsedTimer m_clock;
    CommandResult m_result;
    qsizetype m_cap;
    bool m_interactive;
    bool m_begun = false;
    bool m_closeStdin = false;
    QByteArray m_stdin; ///< written before begin()
    qint64 m_pgid = 0;
    bool m_guarded = false; ///< announced to the ChildGuard
    std::optional<CommandOutcome> m_stopReason;
    bool m_done = false;
};

} // namespace

LocalTransport::LocalTransport(QObject *parent)
    : Transport(parent)
{
}

LocalTransport::~LocalTransport() = default;

QString LocalTransport::description() const
{
    return QStringLiteral("local");
}

CommandJob *LocalTransport::start(const CommandRequest &request)
{
    // The transport's log of what it is asked to run (QT_LOGGING_RULES=nestscope.transport.debug=true).
    qCDebug(lcTransport).noquote() << "exec" << request.command;
    auto *job = new LocalJob(request, false, this);
    // Start from the event loop so callers can connect to the job's signals first,
    // even when the process fails to start at once.
    QMetaObject::invokeMethod(job, &LocalJob::begin, Qt::QueuedConnection);
    return job;
}

InteractiveJob *LocalTransport::startInteractive(const CommandRequest &request)
{
    auto *job = new LocalJob(request, true, this);
    QMetaObject::invokeMethod(job, &LocalJob::begin, Qt::QueuedConnection);
    return job;
}

} // namespace nestscope

#include "localtransport.moc"
