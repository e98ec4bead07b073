#include "sshworker.h"

#include "common/logging.h"

#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstring>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> // ssh_send_keepalive() lives here in 0.10, but works on client sessions

namespace nestscope::detail {

/// One command on its way through the session. Lives on the worker thread only.
struct SshJob {
    enum class Phase { Queued, Opening, Requesting, Running };

    SshWorker *worker = nullptr;
    quint64 id = 0;
    CommandRequest request;
    QByteArray command;
    Phase phase = Phase::Queued;
    ssh_channel channel = nullptr;
    ssh_channel_callbacks_struct callbacks {};
    CommandResult result;
    QElapsedTimer clock;
    std::unique_ptr<QTimer> timer;
    bool remoteClosed = false;
    bool gotExitStatus = false;
    bool gotExitSignal = false;
    /// Reported to the owner already (timeout/cancel before the channel was fully open); the
    /// channel is closed as soon as the server has answered, then the job is dropped.
    bool reported = false;
    int refusals = 0;

    ~SshJob()
    {
        // The timer may be the very sender whose timeout brought us here.
        if (timer) {
            timer->stop();
            timer.release()->deleteLater();
        }
    }
};

namespace {

int signalNumber(const char *name)
{
    static const std::pair<const char *, int> names[] = { { "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "FPE", SIGFPE },
        { "HUP", SIGHUP }, { "ILL", SIGILL }, { "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE },
        { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 } };
    for (const auto &[n, v] : names) {
        if (name && std::strcmp(name, n) == 0) {
            return v;
        }
    }
    return 0;
}

int onChannelData(ssh_session, ssh_channel, void *data, uint32_t len, int isStdErr, void *userdata)
{
    auto *job = static_cast<SshJob *>(userdata);
    job->worker->onData(job, static_cast<const char *>(data), static_cast<qsizetype>(len), isStdErr != 0);
    return static_cast<int>(len); // all consumed: beyond the cap it is read and dropped
}

void onExitStatus(ssh_session, ssh_channel, int status, void *userdata)
{
    auto *job = static_cast<SshJob *>(userdata);
    job->gotExitStatus = true;
    job->result.exitCode = status;
}

void onExitSignal(ssh_session, ssh_channel, const char *signal, int core, const char *, const char *, void *userdata)
{
    Q_UNUSED(core)
    auto *job = static_cast<SshJob *>(userdata);
    job->gotExitSignal = true;
    job->result.signal = signalNumber(signal);
    job->result.errorString = QStringLiteral("killed by signal SIG%1").arg(QString::fromLatin1(signal));
}

void onClose(ssh_session, ssh_channel, void *userdata)
{
    static_cast<SshJob *>(userdata)->remoteClosed = true;
}

} // namespace

SshWorker::SshWorker(const SshTarget &target, SshAsker asker)
    : m_target(target)
    , m_asker(std::move(asker))
    , m_limit(std::clamp(target.maxChannels, 1, 64))
{
}

SshWorker::~SshWorker()
{
    teardown();
}

void SshWorker::connectToHost()
{
    if (m_state == State::Connecting || m_state == State::Connected) {
        return;
    }
    m_state = State::Connecting;
    Q_EMIT stateChanged(m_state, QString(), m_target.displayName());

    auto connection = openSession(m_target, m_asker);
    if (!connection) {
        m_state = State::Failed;
        const QString message = connection.error().message;
        qCInfo(lcSsh) << "connect failed:" << message;
        // Commands that were waiting for this connection never ran.
        while (!m_queue.empty()) {
            std::unique_ptr<SshJob> job = std::move(m_queue.front());
            m_queue.pop_front();
            job->result.outcome = CommandOutcome::FailedToStart;
            job->result.errorString = message;
            Q_EMIT commandFinished(job->id, job->result);
        }
        Q_EMIT stateChanged(m_state, message, m_target.displayName());
        return;
    }
    m_connection = std::move(connection).value();
    ssh_session s = m_connection.session.get();
    ssh_set_blocking(s, 0);
    m_event = ssh_event_new();
    ssh_event_add_session(m_event, s);
    const socket_t fd = ssh_get_fd(s);
    m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, [this] {
        m_lastReceived.start();
        pump();
    });
    m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &SshWorker::pump);
    m_keepalive = new QTimer(this);
    m_keepalive->setInterval(std::max<qint64>(50, m_target.keepaliveInterval.count() / 3));
    connect(m_keepalive, &QTimer::timeout, this, &SshWorker::keepaliveTick);
    m_keepalive->start();
    m_lastReceived.start();
    m_state = State::Connected;
    qCInfo(lcSsh) << "connected to" << m_connection.description;
    Q_EMIT stateChanged(m_state, QString(), m_connection.description);
    startQueued();
    updateWriteInterest();
}

void SshWorker::disconnectFromHost()
{
    if (m_state == State::Connected) {
        connectionLost(QStringLiteral("disconnected on request"));
    }
}

void SshWorker::startCommand(quint64 id, const CommandRequest &request)
{
    auto job = std::make_unique<SshJob>();
    job->worker = this;
    job->id = id;
    job->request = request;
    job->command = request.command.toUtf8();
    job->clock.start();
    job->timer = std::make_unique<QTimer>();
    job->timer->setSingleShot(true);
    job->timer->setTimerType(Qt::PreciseTimer); // a coarse timer may fire 5% early
    job->timer->setInterval(request.timeout);
    connect(job->timer.get(), &QTimer::timeout, this, [this, id] {
        stopJob(id, CommandOutcome::Timeout);
    });
    job->timer->start();
    if (m_state == State::Failed) {
        fail(job.get(), CommandOutcome::FailedToStart, QStringLiteral("not connected"));
        return;
    }
    m_queue.push_back(std::move(job));
    if (m_state == State::Disconnected) {
        connectToHost(); // starts the queue when connected
    } else if (m_state == State::Connected) {
        startQueued();
        updateWriteInterest();
    }
}

void SshWorker::cancelCommand(quint64 id)
{
    stopJob(id, CommandOutcome::Cancelled);
}

void SshWorker::fail(SshJob *job, CommandOutcome outcome, const QString &message)
{
    job->result.outcome = outcome;
    job->result.errorString = message;
    job->result.wallTimeMs = job->clock.elapsed();
    job->timer->stop();
    Q_EMIT commandFinished(job->id, job->result);
}

void SshWorker::onData(SshJob *job, const char *data, qsizetype size, bool isStdErr)
{
    if (job->reported) {
        return;
    }
    QByteArray &buffer = isStdErr ? job->result.stdErr : job->result.stdOut;
    bool &truncated = isStdErr ? job->result.stdErrTruncated : job->result.stdOutTruncated;
    const qsizetype room = std::max<qsizetype>(0, job->request.outputCap - buffer.size());
    const qsizetype kept = std::min(room, size);
    if (kept < size) {
        truncated = true;
    }
    if (kept > 0) {
        buffer.append(data, kept);
        Q_EMIT output(job->id, isStdErr, QByteArray(data, kept));
    }
}

void SshWorker::pump()
{
    if (!m_event || m_pumping) {
        return;
    }
    m_pumping = true;
    // Reads what the socket holds, runs the channel callbacks, writes what is pending.
    const int rc = ssh_event_dopoll(m_event, 0);
    m_pumping = false;
    if (rc == SSH_ERROR || !ssh_is_connected(m_connection.session.get())) {
        connectionLost(
            QStringLiteral("the connection to %1 was closed: %2")
                .arg(m_connection.description, QString::fromUtf8(ssh_get_error(m_connection.session.get()))));
        return;
    }
    advance();
}

void SshWorker::advance()
{
    if (m_state != State::Connected) {
        return;
    }
    // openAndExec() and finishJob() erase from m_active: walk a snapshot of the ids.
    std::vector<quint64> ids;
    ids.reserve(m_active.size());
    for (const auto &entry : m_active) {
        ids.push_back(entry.first);
    }
    for (quint64 id : ids) {
        auto it = m_active.find(id);
        if (it == m_active.end()) {
            continue;
        }
        SshJob *job = it->second.get();
        if (job->phase == SshJob::Phase::Opening || job->phase == SshJob::Phase::Requesting) {
            if (!openAndExec(job)) {
                continue;
            }
        }
        if (job->phase == SshJob::Phase::Running && job->remoteClosed) {
            finishJob(id);
        }
        if (m_state != State::Connected) {
            return;
        }
    }
    if (m_state != State::Connected) {
        return;
    }
    startQueued();
    updateWriteInterest();
}

void SshWorker::startQueued()
{
    while (m_state == State::Connected && !m_holdQueue && !m_queue.empty()
        && static_cast<int>(m_active.size()) < m_limit) {
        std::unique_ptr<SshJob> owned = std::move(m_queue.front());
        m_queue.pop_front();
        SshJob *job = owned.get();
        const quint64 id = job->id;
        job->channel = ssh_channel_new(m_connection.session.get());
        if (!job->channel) {
            fail(job, CommandOutcome::FailedToStart, QStringLiteral("cannot create a channel"));
            continue;
        }
        job->callbacks = {};
        job->callbacks.userdata = job;
        job->callbacks.channel_data_function = onChannelData;
        job->callbacks.channel_exit_status_function = onExitStatus;
        job->callbacks.channel_exit_signal_function = onExitSignal;
        job->callbacks.channel_close_function = onClose;
        ssh_callbacks_init(&job->callbacks);
        ssh_set_channel_callbacks(job->channel, &job->callbacks);
        job->phase = SshJob::Phase::Opening;
        m_active.emplace(id, std::move(owned));
        if (openAndExec(job) && job->phase == SshJob::Phase::Running && job->remoteClosed) {
            finishJob(id);
        }
    }
}

/// Drives a job through channel-open and exec without blocking; false when it left m_active.
bool SshWorker::openAndExec(SshJob *job)
{
    if (job->phase == SshJob::Phase::Opening) {
        const int rc = ssh_channel_open_session(job->channel);
        if (rc == SSH_AGAIN) {
            return true;
        }
        if (rc != SSH_OK) {
            const QString why = QString::fromUtf8(ssh_get_error(m_connection.session.get()));
            std::unique_ptr<SshJob> owned = std::move(m_active.at(job->id));
            m_active.erase(job->id);
            ssh_remove_channel_callbacks(job->channel, &job->callbacks);
            ssh_channel_free(job->channel);
            job->channel = nullptr;
            job->phase = SshJob::Phase::Queued;
            if (!ssh_is_connected(m_connection.session.get()) || owned->reported) {
                return false; // connectionLost() reports it, or nobody waits for it any more
            }
            // MaxSessions reached (ours or another client's): run fewer at once and try again
            // when one of ours finishes, or shortly if none is running.
            if (++owned->refusals <= 5) {
                const int newLimit = std::max(1, static_cast<int>(m_active.size()));
                m_finishedSinceRefusal = 0;
                if (newLimit < m_limit) {
                    qCInfo(lcSsh) << "server refused a channel (" << why << "); running at most" << newLimit
                                  << "commands at once";
                    m_limit = newLimit;
                }
                m_queue.push_front(std::move(owned));
                // Hold the queue until one of ours finishes, or for a moment if none is running.
                m_holdQueue = true;
                if (m_active.empty()) {
                    QTimer::singleShot(100 * m_queue.front()->refusals, this, [this] {
                        m_holdQueue = false;
                        advance();
                    });
                }
                return false;
            }
            fail(owned.get(), CommandOutcome::FailedToStart,
                QStringLiteral("the server refused a channel: %1").arg(why));
            return false;
        }
        if (job->reported) {
            retire(job);
            return false;
        }
        job->phase = SshJob::Phase::Requesting;
    }
    if (job->phase == SshJob::Phase::Requesting) {
        const int rc = ssh_channel_request_exec(job->channel, job->command.constData());
        if (rc == SSH_AGAIN) {
            return true;
        }
        if (rc != SSH_OK) {
            const QString why = QString::fromUtf8(ssh_get_error(m_connection.session.get()));
            std::unique_ptr<SshJob> owned = std::move(m_active.at(job->id));
            m_active.erase(job->id);
            ssh_remove_channel_callbacks(job->channel, &job->callbacks);
            ssh_channel_free(job->channel);
            job->channel = nullptr;
            if (!owned->reported && ssh_is_connected(m_connection.session.get())) {
                fail(owned.get(), CommandOutcome::FailedToStart,
                    QStringLiteral("the server refused to run it: %1").arg(why));
            }
            return false;
        }
        job->phase = SshJob::Phase::Running;
        if (job->reported) {
            retire(job);
            return false;
        }
    }
    return true;
}

void SshWorker::finishJob(quint64 id)
{
    auto it = m_active.find(id);
    if (it == m_active.end()) {
        return;
    }
    std::unique_ptr<SshJob> job = std::move(it->second);
    m_active.erase(it);
    m_holdQueue = false;
    // A refusal is often momentary (the server still counts sessions whose close is in flight):
    // win the lost slots back slowly.
    if (m_limit < std::clamp(m_target.maxChannels, 1, 64) && ++m_finishedSinceRefusal >= 50) {
        ++m_limit;
        m_finishedSinceRefusal = 0;
    }
    ssh_remove_channel_callbacks(job->channel, &job->callbacks);
    ssh_channel_free(job->channel); // answers the server's close and frees it
    job->channel = nullptr;
    if (job->reported) {
        return;
    }
    if (job->gotExitSignal) {
        job->result.outcome = CommandOutcome::Signalled;
    } else {
        job->result.outcome = CommandOutcome::Exited;
        if (!job->gotExitStatus) {
            job->result.errorString = QStringLiteral("the server closed the channel without an exit status");
        }
    }
    job->timer->stop();
    job->result.wallTimeMs = job->clock.elapsed();
    Q_EMIT commandFinished(job->id, job->result);
}

/// Timeout or cancel: report now, stop the remote process, keep the session.
void SshWorker::stopJob(quint64 id, CommandOutcome why)
{
    const auto message = [why](const SshJob &job) {
        return why == CommandOutcome::Timeout
            ? QStringLiteral("killed after the timeout of %1 ms").arg(job.request.timeout.count())
            : QStringLiteral("cancelled");
    };
    for (auto it = m_queue.begin(); it != m_queue.end(); ++it) {
        if ((*it)->id == id) {
            std::unique_ptr<SshJob> job = std::move(*it);
            m_queue.erase(it);
            fail(job.get(), why, message(*job));
            return;
        }
    }
    auto it = m_active.find(id);
    if (it == m_active.end() || it->second->reported) {
        return;
    }
    SshJob *job = it->second.get();
    fail(job, why, message(*job));
    job->reported = true;
    if (job->phase == SshJob::Phase::Running) {
        retire(job);
    } // else: openAndExec() retires it once the server has answered the open or exec request
    advance();
}

/// Stops the remote process (signal request, then close) and forgets the job. The server's
/// answer to the close is handled by libssh, which frees the channel then.
void SshWorker::retire(SshJob *job)
{
    const quint64 id = job->id;
    if (job->phase == SshJob::Phase::Running && !job->remoteClosed) {
        ssh_channel_request_send_signal(job->channel, "KILL");
    }
    ssh_remove_channel_callbacks(job->channel, &job->callbacks);
    ssh_channel_close(job->channel);
    ssh_channel_free(job->channel);
    job->channel = nullptr;
    m_active.erase(id);
    m_holdQueue = false;
}

void SshWorker::keepaliveTick()
{
    if (m_state != State::Connected) {
        return;
    }
    const qint64 silent = m_lastReceived.elapsed();
    if (silent >= m_target.keepaliveInterval.count()) {
        connectionLost(
            QStringLiteral("%1 did not answer for %2 s").arg(m_connection.description).arg(silent / 1000.0, 0, 'f', 1));
        return;
    }
    if (silent >= m_keepalive->interval()) {
        // keepalive@openssh.com with want-reply: any answer, even a refusal, proves the peer alive.
        ssh_send_keepalive(m_connection.session.get());
        pump();
    }
}

void SshWorker::updateWriteInterest()
{
    if (m_writeNotifier && m_connection.session) {
        m_writeNotifier->setEnabled((ssh_get_poll_flags(m_connection.session.get()) & SSH_WRITE_PENDING) != 0);
    }
}

void SshWorker::connectionLost(const QString &why)
{
    qCInfo(lcSsh) << "connection lost:" << why;
    std::vector<std::unique_ptr<SshJob>> jobs;
    for (auto &[id, job] : m_active) {
        jobs.push_back(std::move(job));
    }
    m_active.clear();
    for (auto &job : m_queue) {
        jobs.push_back(std::move(job));
    }
    m_queue.clear();
    for (auto &job : jobs) {
        if (job->channel) {
            ssh_remove_channel_callbacks(job->channel, &job->callbacks);
            job->channel = nullptr; // freed with the session
        }
        if (!job->reported) {
            fail(job.get(), CommandOutcome::ConnectionLost, why);
        }
    }
    teardown();
    m_state = State::Disconnected;
    Q_EMIT stateChanged(m_state, why, m_target.displayName());
}

void SshWorker::teardown()
{
    for (auto &[id, job] : m_active) {
        if (job->channel) {
            ssh_remove_channel_callbacks(job->channel, &job->callbacks);
        }
    }
    m_active.clear();
    m_queue.clear();
    delete m_readNotifier;
    m_readNotifier = nullptr;
    delete m_writeNotifier;
    m_writeNotifier = nullptr;
    delete m_keepalive;
    m_keepalive = nullptr;
    if (m_event) {
        if (m_connection.session) {
            ssh_event_remove_session(m_event, m_connection.session.get());
        }
        ssh_event_free(m_event);
        m_event = nullptr;
    }
    m_connection = ConnectedSession();
    m_holdQueue = false;
    m_limit = std::clamp(m_target.maxChannels, 1, 64);
}

} // namespace nestscope::detail
