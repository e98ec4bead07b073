#include "sshworker.h"

#include "common/logging.h"
#include "common/shellquote.h"

#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <sys/socket.h>

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
    quint64 openSeq = 0; ///< SshWorker::m_opensSent when its open went out
    quint64 closesBeforeOpen = 0; ///< SshWorker::m_closesSent then
    int closesInFlightAtOpen = 0; ///< closes not yet settled then
    quint64 closesBeforeExec = 0;
    bool interactive = false; ///< stdin stays open (Transport::startInteractive); output only streamed
    QByteArray stdinPending; ///< written by the owner, not yet taken by the channel
    bool stdinClose = false; ///< the owner closed stdin: EOF once stdinPending is sent
    bool eofSent = false;
    ShellSlot *slot = nullptr; ///< set when it runs in a persistent shell instead of its own channel

    ~SshJob()
    {
        // The timer may be the very sender whose timeout brought us here.
        if (timer) {
            timer->stop();
            timer.release()->deleteLater();
        }
    }
};

/// A long-lived `sh` on its own channel that runs one command at a time. Each command is followed
/// by a random token on stdout (with the exit code) and on stderr, which mark where its output ends.
struct ShellSlot {
    enum class Phase { Opening, Requesting, Ready };
    SshWorker *worker = nullptr;
    ssh_channel channel = nullptr;
    ssh_channel_callbacks_struct callbacks {};
    Phase phase = Phase::Opening;
    SshJob *job = nullptr; ///< owned by SshWorker::m_active
    QByteArray token;
    QByteArray outPending;
    QByteArray errPending;
    bool outMarker = false;
    bool errMarker = false;
    bool rcKnown = false;
    int exitCode = -1;
    bool closed = false;
    quint64 closesBeforeOpen = 0;
    int closesInFlightAtOpen = 0;
    quint64 closesBeforeExec = 0;
};

namespace {

// The round trip of sendProbe(). libssh 0.10 reports the answer to no other global request (it
// discards the one to keepalive@openssh.com): cancelling a remote forward that was never asked for
// changes nothing on the server, which must answer it (REQUEST_FAILURE, from OpenSSH).
constexpr const char *kProbeAddress = "nestscope-round-trip.invalid";
constexpr int kProbePort = 0;

int onSlotChannelData(ssh_session, ssh_channel, void *data, uint32_t len, int isStdErr, void *userdata)
{
    auto *slot = static_cast<ShellSlot *>(userdata);
    slot->worker->onSlotData(slot, static_cast<const char *>(data), static_cast<qsizetype>(len), isStdErr != 0);
    return static_cast<int>(len);
}

void onSlotClose(ssh_session, ssh_channel, void *userdata)
{
    static_cast<ShellSlot *>(userdata)->closed = true;
}

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
        connectFailed(connection.error().message);
        return;
    }
    m_connection = std::move(connection).value();
    ssh_session s = m_connection.session.get();
    ssh_set_blocking(s, 0);
    m_event = ssh_event_new();
    if (!m_event || ssh_event_add_session(m_event, s) != SSH_OK) {
        // Without it nothing the server sends would ever be read: no command could finish.
        const QString message = QStringLiteral("cannot watch the SSH session of %1 (ssh_event_add_session): %2")
                                    .arg(m_connection.description, QString::fromUtf8(ssh_get_error(s)));
        if (m_event) {
            ssh_event_free(m_event);
            m_event = nullptr;
        }
        m_connection = ConnectedSession();
        connectFailed(message);
        return;
    }
    const socket_t fd = ssh_get_fd(s);
    m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, [this, fd] {
        // libssh does not always mark the session closed when its socket reaches end of file (a
        // jump tunnel's socket pair, for one); then the notifier would fire forever and keep the
        // keepalive from ever seeing silence. Look for ourselves.
        char byte;
        const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            pump(); // let libssh take what it had buffered first
            if (m_state == State::Connected) {
                connectionLost(
                    QStringLiteral("the connection to %1 was closed by the other end").arg(m_connection.description));
            }
            return;
        }
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
    m_probeTimer = new QTimer(this);
    m_probeTimer->setSingleShot(true);
    m_probeTimer->setInterval(1000);
    connect(m_probeTimer, &QTimer::timeout, this, &SshWorker::probeOverdue);
    m_lastReceived.start();
    m_state = State::Connected;
    qCInfo(lcSsh) << "connected to" << m_connection.description;
    Q_EMIT stateChanged(m_state, QString(), m_connection.description);
    startQueued();
    updateWriteInterest();
}

/// The connect failed: every command waiting for it ends with `message`, and so will later ones
/// until connectToHost() is called again.
void SshWorker::connectFailed(const QString &message)
{
    m_state = State::Failed;
    m_lastConnectError = message;
    qCInfo(lcSsh) << "connect failed:" << message;
    // Commands that were waiting for this connection never ran.
    for (auto &job : m_interactiveQueue) {
        m_queue.push_back(std::move(job));
    }
    m_interactiveQueue.clear();
    while (!m_queue.empty()) {
        std::unique_ptr<SshJob> job = std::move(m_queue.front());
        m_queue.pop_front();
        job->result.outcome = CommandOutcome::FailedToStart;
        job->result.errorString = message;
        Q_EMIT commandFinished(job->id, job->result);
    }
    Q_EMIT stateChanged(m_state, message, m_target.displayName());
}

void SshWorker::disconnectFromHost()
{
    if (m_state == State::Connected) {
        connectionLost(QStringLiteral("disconnected on request"));
    }
}

void SshWorker::startCommand(quint64 id, const CommandRequest &request, bool interactive)
{
    auto job = std::make_unique<SshJob>();
    job->worker = this;
    job->id = id;
    job->interactive = interactive;
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
    if (!interactive || request.timeout.count() > 0) {
        job->timer->start();
    }
    if (m_state == State::Failed) {
        fail(job.get(), CommandOutcome::FailedToStart,
            QStringLiteral("not connected (connect again to retry): %1").arg(m_lastConnectError));
        return;
    }
    (interactive ? m_interactiveQueue : m_queue).push_back(std::move(job));
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
    if (job->interactive) {
        Q_EMIT output(job->id, isStdErr, QByteArray(data, size));
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
    pollProbe();
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
        if (job->phase == SshJob::Phase::Running && job->interactive && !job->remoteClosed && !flushStdin(job)) {
            continue;
        }
        if (job->phase == SshJob::Phase::Running && job->remoteClosed) {
            finishJob(id);
        }
        if (m_state != State::Connected) {
            return;
        }
    }
    for (size_t i = 0; i < m_slots.size();) {
        ShellSlot *slot = m_slots[i].get();
        if (slot->job && slot->rcKnown && slot->errMarker) {
            finishSlotJob(slot);
        }
        if (driveSlot(slot)) {
            ++i;
            continue;
        }
        if (slot->channel) {
            ssh_remove_channel_callbacks(slot->channel, &slot->callbacks);
            ssh_channel_free(slot->channel);
            if (slot->phase != ShellSlot::Phase::Opening) {
                noteClose();
            }
        }
        m_slots.erase(m_slots.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (m_state != State::Connected) {
        return;
    }
    startQueued();
    updateWriteInterest();
}

void SshWorker::startQueued()
{
    // Opening a channel or sending the probe lets libssh read the socket outside pump(): answers
    // it takes in then must not wait for the next packet to be looked at.
    const quint64 opens = m_opensSent;
    const bool probing = m_probeOutstanding;
    startQueuedNow();
    if (m_state == State::Connected && (m_opensSent != opens || (m_probeOutstanding && !probing)) && !m_recheckQueued) {
        m_recheckQueued = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_recheckQueued = false;
                advance();
            },
            Qt::QueuedConnection);
    }
}

void SshWorker::startQueuedNow()
{
    // Long-lived commands first, each on a channel of its own, but never so many that fewer than
    // two channels are left for everything else.
    while (m_state == State::Connected && !m_holdQueue && !m_interactiveQueue.empty()) {
        const int cap = m_limit - 2 - (usingShells() ? static_cast<int>(m_slots.size()) : 0);
        int held = 0;
        for (const auto &entry : m_active) {
            held += entry.second->interactive ? 1 : 0;
        }
        if (held >= cap) {
            std::unique_ptr<SshJob> job = std::move(m_interactiveQueue.front());
            m_interactiveQueue.pop_front();
            fail(job.get(), CommandOutcome::FailedToStart,
                QStringLiteral("no SSH channel to spare for a long-lived command (%1 of at most %2 in use)")
                    .arg(held)
                    .arg(m_limit));
            continue;
        }
        if (!roomForChannel(channelsHeld())) {
            break;
        }
        std::unique_ptr<SshJob> owned = std::move(m_interactiveQueue.front());
        m_interactiveQueue.pop_front();
        launch(std::move(owned));
    }
    if (usingShells()) {
        startQueuedOnShells();
        return;
    }
    while (m_state == State::Connected && !m_holdQueue && !m_queue.empty() && roomForChannel(channelsHeld())) {
        std::unique_ptr<SshJob> owned = std::move(m_queue.front());
        m_queue.pop_front();
        launch(std::move(owned));
    }
}

/// Channels of ours the server holds: shell slots and commands on channels of their own.
int SshWorker::channelsHeld() const
{
    int held = static_cast<int>(m_slots.size());
    for (const auto &entry : m_active) {
        held += entry.second->channel ? 1 : 0;
    }
    return held;
}

/// Opens a channel for the job and starts it on it.
void SshWorker::launch(std::unique_ptr<SshJob> owned)
{
    SshJob *job = owned.get();
    const quint64 id = job->id;
    job->channel = ssh_channel_new(m_connection.session.get());
    if (!job->channel) {
        fail(job, CommandOutcome::FailedToStart, QStringLiteral("cannot create a channel"));
        return;
    }
    job->callbacks = {};
    job->callbacks.userdata = job;
    job->callbacks.channel_data_function = onChannelData;
    job->callbacks.channel_exit_status_function = onExitStatus;
    job->callbacks.channel_exit_signal_function = onExitSignal;
    job->callbacks.channel_close_function = onClose;
    ssh_callbacks_init(&job->callbacks);
    if (ssh_set_channel_callbacks(job->channel, &job->callbacks) != SSH_OK) {
        // Without callbacks its output and exit status would never arrive.
        const QString why = QString::fromUtf8(ssh_get_error(m_connection.session.get()));
        ssh_channel_free(job->channel);
        job->channel = nullptr;
        fail(job, CommandOutcome::FailedToStart,
            QStringLiteral("cannot watch a new channel (ssh_set_channel_callbacks): %1").arg(why));
        return;
    }
    job->phase = SshJob::Phase::Opening;
    job->openSeq = ++m_opensSent;
    job->closesBeforeOpen = m_closesSent;
    job->closesInFlightAtOpen = closesInFlight();
    m_active.emplace(id, std::move(owned));
    if (openAndExec(job) && job->phase == SshJob::Phase::Running && job->remoteClosed) {
        finishJob(id);
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
            if (owned->reported) {
                return false; // nobody waits for it any more
            }
            if (!ssh_is_connected(m_connection.session.get())) {
                // It is out of m_active already, so connectionLost() would not see it.
                fail(owned.get(), CommandOutcome::ConnectionLost, why);
                QMetaObject::invokeMethod(this, &SshWorker::checkAlive, Qt::QueuedConnection);
                return false;
            }
            // The refusal is an answer: closes sent before this open have been processed.
            settleCloses(owned->closesBeforeOpen);
            // MaxSessions reached. Learn the server's limit once per refused command (not per
            // retry): the sessions it held when it read this open are ours that it had accepted
            // before and that are still open or whose close we sent after this open, plus those
            // whose close it might not have processed yet.
            if (++owned->refusals <= 5) {
                if (owned->refusals == 1) {
                    int held = owned->closesInFlightAtOpen + static_cast<int>(m_closesSent - owned->closesBeforeOpen);
                    for (const auto &[otherId, other] : m_active) {
                        if (other->channel && other->openSeq < owned->openSeq
                            && (ssh_channel_is_open(other->channel) || other->remoteClosed)) {
                            ++held;
                        }
                    }
                    const int newLimit = std::max(1, held);
                    m_finishedSinceRefusal = 0;
                    if (newLimit < m_limit) {
                        qCInfo(lcSsh) << "server refused a channel (" << why << "); running at most" << newLimit
                                      << "commands at once";
                        m_limit = newLimit;
                    }
                }
                SshJob *retry = owned.get();
                (retry->interactive ? m_interactiveQueue : m_queue).push_front(std::move(owned));
                // A retry waits until a slot is free and every close before it is settled (see
                // roomForChannel), so it never races one of our closes. Refused again although the
                // server should have room by that count: something we cannot see holds sessions
                // (a killed command's process still running); wait a little before the next try.
                if (retry->refusals > 1) {
                    m_holdQueue = true;
                    QTimer::singleShot(100 * retry->refusals, this, [this] {
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
        settleCloses(job->closesBeforeOpen);
        if (job->reported) {
            retire(job);
            return false;
        }
        job->phase = SshJob::Phase::Requesting;
        job->closesBeforeExec = m_closesSent;
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
            ssh_channel_free(job->channel); // the channel was open: this closes it
            job->channel = nullptr;
            noteClose();
            if (!owned->reported) {
                if (ssh_is_connected(m_connection.session.get())) {
                    fail(owned.get(), CommandOutcome::FailedToStart,
                        QStringLiteral("the server refused to run it: %1").arg(why));
                } else {
                    fail(owned.get(), CommandOutcome::ConnectionLost, why);
                    QMetaObject::invokeMethod(this, &SshWorker::checkAlive, Qt::QueuedConnection);
                }
            }
            return false;
        }
        settleCloses(job->closesBeforeExec);
        job->phase = SshJob::Phase::Running;
        if (job->reported) {
            retire(job);
            return false;
        }
        // Nothing is ever written to a command's stdin: say so, as LocalTransport's /dev/null
        // does, or a command that reads it would wait for its timeout.
        if (job->interactive) {
            return flushStdin(job);
        }
        if (ssh_channel_send_eof(job->channel) == SSH_ERROR) {
            eofFailed(job);
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
    noteClose();
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
    for (auto *queue : { &m_queue, &m_interactiveQueue }) {
        for (auto it = queue->begin(); it != queue->end(); ++it) {
            if ((*it)->id == id) {
                std::unique_ptr<SshJob> job = std::move(*it);
                queue->erase(it);
                fail(job.get(), why, message(*job));
                return;
            }
        }
    }
    auto it = m_active.find(id);
    if (it == m_active.end() || it->second->reported) {
        return;
    }
    SshJob *job = it->second.get();
    fail(job, why, message(*job));
    job->reported = true;
    if (job->slot) {
        killSlot(job->slot);
    } else if (job->phase == SshJob::Phase::Running) {
        retire(job);
    } // else: openAndExec() retires it once the server has answered the open or exec request
    advance();
}

/// Stops the remote process (signal request, then close) and forgets the job. The server's
/// answer to the close is handled by libssh, which frees the channel then.
void SshWorker::retire(SshJob *job)
{
    const quint64 id = job->id;
    // The outcome is reported already; a failure here is the connection's, which checkAlive()
    // and pump() report, but it is worth a line in the log.
    if (job->phase == SshJob::Phase::Running && !job->remoteClosed
        && ssh_channel_request_send_signal(job->channel, "KILL") == SSH_ERROR) {
        qCInfo(lcSsh) << "cannot send KILL to a command (ssh_channel_request_send_signal):"
                      << ssh_get_error(m_connection.session.get());
    }
    ssh_remove_channel_callbacks(job->channel, &job->callbacks);
    if (ssh_channel_close(job->channel) == SSH_ERROR) {
        qCInfo(lcSsh) << "cannot close a command's channel (ssh_channel_close):"
                      << ssh_get_error(m_connection.session.get());
    }
    ssh_channel_free(job->channel);
    job->channel = nullptr;
    noteClose();
    m_active.erase(id);
    m_holdQueue = false;
}

/// A write can find the socket dead outside pump() (opening a channel for a new command); make
/// sure the state and every other command follow.
void SshWorker::checkAlive()
{
    if (m_state == State::Connected && !ssh_is_connected(m_connection.session.get())) {
        connectionLost(
            QStringLiteral("the connection to %1 was closed: %2")
                .arg(m_connection.description, QString::fromUtf8(ssh_get_error(m_connection.session.get()))));
    }
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
        // A request the server must answer; the answer proves the peer alive. (libssh's own
        // ssh_send_keepalive() sends only every other time it is called: the second call collects
        // the first one's answer instead, which left an idle session silent for two intervals.)
        sendProbe();
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
    for (auto &slot : m_slots) {
        ssh_remove_channel_callbacks(slot->channel, &slot->callbacks);
    }
    m_slots.clear();
    for (auto *queue : { &m_queue, &m_interactiveQueue }) {
        for (auto &job : *queue) {
            jobs.push_back(std::move(job));
        }
        queue->clear();
    }
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
    m_interactiveQueue.clear();
    for (auto &slot : m_slots) {
        if (slot->channel) {
            ssh_remove_channel_callbacks(slot->channel, &slot->callbacks);
        }
    }
    m_slots.clear();
    delete m_readNotifier;
    m_readNotifier = nullptr;
    delete m_writeNotifier;
    m_writeNotifier = nullptr;
    delete m_keepalive;
    m_keepalive = nullptr;
    delete m_probeTimer;
    m_probeTimer = nullptr;
    m_probeOutstanding = false;
    m_closesSent = m_closesSettled = m_opensSent = 0;
    if (m_event) {
        // libssh drops the session's socket from the event itself when the socket closes (a dead
        // peer): then removing it fails, as expected. A failure while connected is not.
        if (m_connection.session && ssh_event_remove_session(m_event, m_connection.session.get()) != SSH_OK
            && ssh_is_connected(m_connection.session.get())) {
            qCInfo(lcSsh) << "ssh_event_remove_session failed for" << m_connection.description
                          << "(the session is freed anyway):" << ssh_get_error(m_connection.session.get());
        }
        ssh_event_free(m_event);
        m_event = nullptr;
    }
    m_connection = ConnectedSession();
    m_holdQueue = false;
    m_limit = std::clamp(m_target.maxChannels, 1, 64);
}

bool SshWorker::usingShells() const
{
    return m_target.persistentShells && !m_shellsFailed;
}

void SshWorker::startQueuedOnShells()
{
    while (m_state == State::Connected && !m_queue.empty() && usingShells()) {
        ShellSlot *idle = nullptr;
        int unassigned = 0;
        for (const auto &slot : m_slots) {
            if (!slot->job) {
                ++unassigned;
                if (!idle && slot->phase == ShellSlot::Phase::Ready) {
                    idle = slot.get();
                }
            }
        }
        if (idle) {
            std::unique_ptr<SshJob> job = std::move(m_queue.front());
            m_queue.pop_front();
            assignToSlot(idle, std::move(job));
            continue;
        }
        if (unassigned >= static_cast<int>(m_queue.size()) || !roomForChannel(channelsHeld())) {
            break; // enough shells on their way, or no room for more
        }
        auto slot = std::make_unique<ShellSlot>();
        slot->worker = this;
        slot->channel = ssh_channel_new(m_connection.session.get());
        if (!slot->channel) {
            m_shellsFailed = true;
            break;
        }
        slot->callbacks.userdata = slot.get();
        slot->callbacks.channel_data_function = onSlotChannelData;
        slot->callbacks.channel_close_function = onSlotClose;
        ssh_callbacks_init(&slot->callbacks);
        if (ssh_set_channel_callbacks(slot->channel, &slot->callbacks) != SSH_OK) {
            qCInfo(lcSsh) << "cannot watch a channel for a shell slot (ssh_set_channel_callbacks):"
                          << ssh_get_error(m_connection.session.get()) << "- using exec channels";
            ssh_channel_free(slot->channel);
            m_shellsFailed = true;
            break;
        }
        slot->closesBeforeOpen = m_closesSent;
        slot->closesInFlightAtOpen = closesInFlight();
        ++m_opensSent;
        ShellSlot *raw = slot.get();
        m_slots.push_back(std::move(slot));
        if (!driveSlot(raw)) {
            ssh_remove_channel_callbacks(raw->channel, &raw->callbacks);
            ssh_channel_free(raw->channel);
            m_slots.pop_back();
            break;
        }
    }
    if (!usingShells() && m_slots.empty()) {
        startQueuedNow(); // fall back to exec channels
    }
}

/// Opens the slot's channel and starts `sh` on it without blocking; false when the slot is dead.
bool SshWorker::driveSlot(ShellSlot *slot)
{
    ssh_session s = m_connection.session.get();
    if (slot->phase == ShellSlot::Phase::Opening) {
        const int rc = ssh_channel_open_session(slot->channel);
        if (rc == SSH_AGAIN) {
            return true;
        }
        if (rc != SSH_OK) {
            settleCloses(slot->closesBeforeOpen);
            // Out of sessions: keep the shells we have, or give up on shells altogether.
            qCInfo(lcSsh) << "no channel for another shell slot:" << ssh_get_error(s);
            const int others = static_cast<int>(m_slots.size()) - 1;
            if (others > 0) {
                m_limit = std::min(m_limit, others + slot->closesInFlightAtOpen);
            } else if (slot->closesInFlightAtOpen == 0) {
                m_shellsFailed = true;
            }
            return false;
        }
        settleCloses(slot->closesBeforeOpen);
        slot->phase = ShellSlot::Phase::Requesting;
        slot->closesBeforeExec = m_closesSent;
    }
    if (slot->phase == ShellSlot::Phase::Requesting) {
        const int rc = ssh_channel_request_exec(slot->channel, "exec sh");
        if (rc == SSH_AGAIN) {
            return true;
        }
        settleCloses(slot->closesBeforeExec);
        if (rc != SSH_OK) {
            qCInfo(lcSsh) << "the server would not start a shell slot:" << ssh_get_error(s);
            m_shellsFailed = true;
            return false;
        }
        slot->phase = ShellSlot::Phase::Ready;
    }
    if (slot->closed) {
        if (slot->job) {
            SshJob *job = slot->job;
            slot->job = nullptr;
            job->slot = nullptr;
            if (!job->reported) {
                fail(job, CommandOutcome::FailedToStart, QStringLiteral("the remote shell ended unexpectedly"));
            }
            m_active.erase(job->id);
        }
        return false;
    }
    return true;
}

void SshWorker::assignToSlot(ShellSlot *slot, std::unique_ptr<SshJob> owned)
{
    SshJob *job = owned.get();
    const quint64 id = job->id;
    QByteArray token(16, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(token.data()), token.size() / 4);
    slot->token = "NS" + token.toHex();
    slot->outPending.clear();
    slot->errPending.clear();
    slot->outMarker = slot->errMarker = slot->rcKnown = false;
    slot->exitCode = -1;
    slot->job = job;
    job->slot = slot;
    job->phase = SshJob::Phase::Running;
    m_active.emplace(id, std::move(owned));
    // stdin is /dev/null so that a command never eats the next one; the markers follow its output.
    const QByteArray line = "sh -c " + shellQuote(job->request.command).toUtf8()
        + " </dev/null; __ns_rc=$?; printf '\\n%s %d\\n' " + slot->token + " \"$__ns_rc\"; printf '%s\\n' "
        + slot->token + " >&2\n";
    if (ssh_channel_write(slot->channel, line.constData(), static_cast<uint32_t>(line.size())) != line.size()) {
        fail(job, CommandOutcome::FailedToStart, QStringLiteral("cannot send the command to the remote shell"));
        killSlot(slot); // deletes the job
    }
}

void SshWorker::onSlotData(ShellSlot *slot, const char *data, qsizetype size, bool isStdErr)
{
    SshJob *job = slot->job;
    if (!job) {
        return;
    }
    QByteArray &pending = isStdErr ? slot->errPending : slot->outPending;
    bool &marker = isStdErr ? slot->errMarker : slot->outMarker;
    pending.append(data, size);
    if (!marker) {
        const QByteArray end = isStdErr ? QByteArray(slot->token + '\n') : QByteArray('\n' + slot->token + ' ');
        const qsizetype at = pending.indexOf(end);
        if (at >= 0) {
            onData(job, pending.constData(), at, isStdErr);
            pending.remove(0, at + end.size());
            marker = true;
        } else if (pending.size() >= end.size()) {
            // Keep what could be the start of the marker; the rest is output.
            const qsizetype safe = pending.size() - (end.size() - 1);
            onData(job, pending.constData(), safe, isStdErr);
            pending.remove(0, safe);
        }
    }
    if (marker && !isStdErr && !slot->rcKnown) {
        const qsizetype nl = pending.indexOf('\n');
        if (nl >= 0) {
            slot->exitCode = pending.left(nl).toInt();
            slot->rcKnown = true;
        }
    }
}

void SshWorker::finishSlotJob(ShellSlot *slot)
{
    SshJob *job = slot->job;
    slot->job = nullptr;
    job->slot = nullptr;
    if (!job->reported) {
        job->result.outcome = CommandOutcome::Exited;
        job->result.exitCode = slot->exitCode;
        job->timer->stop();
        job->result.wallTimeMs = job->clock.elapsed();
        Q_EMIT commandFinished(job->id, job->result);
    }
    m_active.erase(job->id);
}

/// A command in a slot cannot be stopped on its own: the slot's shell is killed and closed.
void SshWorker::killSlot(ShellSlot *slot)
{
    if (slot->job) {
        slot->job->slot = nullptr;
        m_active.erase(slot->job->id);
        slot->job = nullptr;
    }
    if (ssh_channel_request_send_signal(slot->channel, "KILL") == SSH_ERROR) {
        qCInfo(lcSsh) << "cannot send KILL to a shell slot (ssh_channel_request_send_signal):"
                      << ssh_get_error(m_connection.session.get());
    }
    ssh_remove_channel_callbacks(slot->channel, &slot->callbacks);
    if (ssh_channel_close(slot->channel) == SSH_ERROR) {
        qCInfo(lcSsh) << "cannot close a shell slot's channel (ssh_channel_close):"
                      << ssh_get_error(m_connection.session.get());
    }
    ssh_channel_free(slot->channel);
    noteClose();
    for (auto it = m_slots.begin(); it != m_slots.end(); ++it) {
        if (it->get() == slot) {
            m_slots.erase(it);
            break;
        }
    }
}

void SshWorker::writeStdin(quint64 id, const QByteArray &data, bool close)
{
    SshJob *job = nullptr;
    if (auto it = m_active.find(id); it != m_active.end()) {
        job = it->second.get();
    } else {
        for (auto &queued : m_interactiveQueue) {
            if (queued->id == id) {
                job = queued.get();
            }
        }
    }
    if (!job || !job->interactive || job->reported || job->stdinClose) {
        return;
    }
    job->stdinPending += data;
    job->stdinClose = close;
    if (job->phase == SshJob::Phase::Running && m_state == State::Connected) {
        flushStdin(job);
        updateWriteInterest();
    }
}

/// Hands what the owner wrote to the channel, as far as the server's window allows; false when
/// the job had to be ended (and left m_active).
bool SshWorker::flushStdin(SshJob *job)
{
    while (!job->stdinPending.isEmpty() && !job->remoteClosed) {
        const int n = ssh_channel_write(job->channel, job->stdinPending.constData(),
            static_cast<uint32_t>(std::min<qsizetype>(job->stdinPending.size(), 32768)));
        if (n <= 0) {
            return true; // window full (try again on the next packet), or the connection's trouble
        }
        job->stdinPending.remove(0, n);
    }
    if (job->stdinPending.isEmpty() && job->stdinClose && !job->eofSent && !job->remoteClosed) {
        if (ssh_channel_send_eof(job->channel) == SSH_ERROR) {
            eofFailed(job);
            return false;
        }
        job->eofSent = true;
    }
    return true;
}

/// A command whose stdin cannot be closed could wait for it until its timeout: end it now, with
/// the reason, rather than let it hang in silence.
void SshWorker::eofFailed(SshJob *job)
{
    const QString why = QString::fromUtf8(ssh_get_error(m_connection.session.get()));
    qCInfo(lcSsh) << "ssh_channel_send_eof failed:" << why;
    if (!job->reported) {
        fail(job, CommandOutcome::FailedToStart,
            QStringLiteral("cannot close the command's standard input (ssh_channel_send_eof): %1").arg(why));
    }
    retire(job);
    // Usually the connection itself is gone: let the state and the other commands follow.
    QMetaObject::invokeMethod(this, &SshWorker::checkAlive, Qt::QueuedConnection);
}

void SshWorker::noteClose()
{
    ++m_closesSent;
}

void SshWorker::settleCloses(quint64 closesSeen)
{
    m_closesSettled = std::max(m_closesSettled, closesSeen);
}

int SshWorker::closesInFlight() const
{
    return static_cast<int>(m_closesSent - m_closesSettled);
}

/// Whether one more channel may be opened with `held` of ours open. A channel whose close the
/// server may not have processed yet still takes a session there: opening into its place would
/// race the close and be refused ("no more sessions"). When only such closes are in the way, a
/// round trip settles them.
bool SshWorker::roomForChannel(int held)
{
    if (held >= m_limit) {
        return false;
    }
    if (held + closesInFlight() < m_limit) {
        return true;
    }
    sendProbe();
    return false;
}

/// Sends a request the server must answer; its answer settles every close sent before it.
void SshWorker::sendProbe()
{
    if (m_probeOutstanding || m_state != State::Connected) {
        return;
    }
    m_probeOutstanding = true;
    m_probeCovers = m_closesSent;
    m_probeTimer->start();
    pollProbe(); // the first call sends it
}

void SshWorker::pollProbe()
{
    if (!m_probeOutstanding) {
        return;
    }
    ssh_session s = m_connection.session.get();
    const int rc = ssh_channel_cancel_forward(s, kProbeAddress, kProbePort);
    if (rc == SSH_AGAIN) {
        return;
    }
    m_probeOutstanding = false;
    m_probeTimer->stop();
    if (rc == SSH_OK || ssh_get_error_code(s) == SSH_REQUEST_DENIED) {
        // The answer may have been read here or in pump() without the read notifier firing.
        m_lastReceived.start();
        settleCloses(m_probeCovers);
    } else {
        QMetaObject::invokeMethod(this, &SshWorker::checkAlive, Qt::QueuedConnection);
    }
}

/// A server that does not answer the probe (none known; RFC 4254 requires an answer) must not
/// stop every command: after a second, count every close so far as processed.
void SshWorker::probeOverdue()
{
    if (!m_probeOutstanding || m_state != State::Connected) {
        return;
    }
    if (m_closesSettled < m_closesSent) {
        qCInfo(lcSsh) << "no answer to a round trip within" << m_probeTimer->interval()
                      << "ms; counting closed channels as released";
        m_closesSettled = m_closesSent;
    }
    m_probeTimer->start();
    advance();
}

} // namespace nestscope::detail
