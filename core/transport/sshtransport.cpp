#include "sshtransport.h"

#include "common/logging.h"
#include "sshworker.h"

#include <QDeadlineTimer>
#include <QThread>

namespace nestscope {

namespace detail {

/// The caller-side face of one remote command: lives in the transport's thread, receives the
/// worker's results as queued signals with value types, and never touches libssh.
class SshCommandJob final : public InteractiveJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SshCommandJob)
public:
    SshCommandJob(SshTransport *transport, quint64 id)
        : InteractiveJob(transport)
        , m_transport(transport)
        , m_id(id)
    {
    }

    void cancel() override
    {
        if (!m_done && m_transport) {
            m_transport->cancelJob(m_id);
        }
    }

    void write(const QByteArray &data) override
    {
        if (!m_done && m_transport) {
            m_transport->writeJob(m_id, data, false);
        }
    }

    void closeStdin() override
    {
        if (!m_done && m_transport) {
            m_transport->writeJob(m_id, QByteArray(), true);
        }
    }

    void deliverOutput(bool isStdErr, const QByteArray &chunk)
    {
        if (isStdErr) {
            Q_EMIT stdErrChunk(chunk);
        } else {
            Q_EMIT stdOutChunk(chunk);
        }
    }

    void deliverResult(const CommandResult &result)
    {
        if (m_done) {
            return;
        }
        m_done = true;
        Q_EMIT finished(result);
        deleteLater();
    }

private:
    QPointer<SshTransport> m_transport;
    quint64 m_id;
    bool m_done = false;
};

} // namespace detail

SshTransport::SshTransport(const SshTarget &target, QObject *parent)
    : Transport(parent)
    , m_target(target)
    , m_description(QStringLiteral("ssh://") + target.displayName())
    , m_abort(std::make_shared<std::atomic_bool>(false))
{
    qRegisterMetaType<CommandResult>();
    QPointer<SshTransport> self(this);
    detail::SshAsker asker(
        this,
        [self]() -> SshInteraction * {
            return self ? self->m_interaction : nullptr;
        },
        m_abort);
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("ssh ") + target.host);
    m_worker = new detail::SshWorker(target, asker);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &detail::SshWorker::stateChanged, this,
        [this](detail::SshWorker::State state, const QString &message, const QString &description) {
            onWorkerState(static_cast<int>(state), message, description);
        });
    connect(m_worker, &detail::SshWorker::output, this, [this](quint64 id, bool isStdErr, const QByteArray &chunk) {
        if (auto job = m_jobs.value(id)) {
            job->deliverOutput(isStdErr, chunk);
        }
    });
    connect(m_worker, &detail::SshWorker::commandFinished, this, [this](quint64 id, const CommandResult &result) {
        if (auto job = m_jobs.take(id)) {
            job->deliverResult(result);
        }
    });
    m_thread->start();
}

SshTransport::~SshTransport()
{
    // Ends any wait for an answer from this thread, then lets the worker free every libssh object
    // on its own thread before the thread ends.
    m_abort->store(true);
    m_thread->quit();
    // An idle worker stops at once; one inside libssh's blocking connect (up to ConnectTimeout)
    // cannot be interrupted, and waiting for it would freeze the GUI. Let that thread finish on its
    // own: it frees its session and deletes itself, and nothing it emits reaches us any more.
    if (!m_thread->wait(QDeadlineTimer(300))) {
        qCInfo(lcSsh) << "leaving a connect attempt to" << m_target.displayName() << "to end on its own";
        m_thread->setParent(nullptr);
        connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
        if (m_thread->isFinished()) {
            m_thread->deleteLater();
        }
    }
    for (const auto &job : std::as_const(m_jobs)) {
        if (job) {
            CommandResult r;
            r.outcome = CommandOutcome::ConnectionLost;
            r.errorString = QStringLiteral("the SSH transport was closed");
            job->deliverResult(r);
        }
    }
}

QString SshTransport::description() const
{
    return m_description;
}

CommandJob *SshTransport::start(const CommandRequest &request)
{
    return startJob(request, false);
}

InteractiveJob *SshTransport::startInteractive(const CommandRequest &request)
{
    return startJob(request, true);
}

detail::SshCommandJob *SshTransport::startJob(const CommandRequest &request, bool interactive)
{
    const quint64 id = m_nextId++;
    // The transport's log of what it is asked to run, byte for byte (QT_LOGGING_RULES=nestscope.ssh.debug=true).
    qCDebug(lcSsh).noquote() << "exec" << id << request.command;
    auto *job = new detail::SshCommandJob(this, id);
    m_jobs.insert(id, job);
    if (m_state == State::Disconnected) {
        m_state = State::Connecting; // the worker connects on its first command
    }
    // Queued, so the caller connects to the job's signals before anything can arrive.
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, id, request, interactive] {
            worker->startCommand(id, request, interactive);
        },
        Qt::QueuedConnection);
    return job;
}

void SshTransport::connectToHost()
{
    m_abort->store(false);
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker] {
            worker->connectToHost();
        },
        Qt::QueuedConnection);
}

void SshTransport::disconnectFromHost()
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker] {
            worker->disconnectFromHost();
        },
        Qt::QueuedConnection);
}

void SshTransport::writeJob(quint64 id, const QByteArray &data, bool closeStdin)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, id, data, closeStdin] {
            worker->writeStdin(id, data, closeStdin);
        },
        Qt::QueuedConnection);
}

void SshTransport::cancelJob(quint64 id)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, id] {
            worker->cancelCommand(id);
        },
        Qt::QueuedConnection);
}

void SshTransport::onWorkerState(int state, const QString &message, const QString &description)
{
    m_state = static_cast<State>(state);
    if (m_state == State::Connected) {
        m_lastError.clear();
        m_description = QStringLiteral("ssh://") + description;
    } else if (!message.isEmpty()) {
        m_lastError = message;
    }
    Q_EMIT stateChanged(m_state, message);
}

} // namespace nestscope

#include "sshtransport.moc"
