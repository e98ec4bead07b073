#pragma once

#include "sshoptions.h"
#include "transport.h"

#include <QHash>
#include <QPointer>

#include <atomic>
#include <memory>

class QThread;

namespace nestscope {

namespace detail {
class SshWorker;
class SshCommandJob;
} // namespace detail

/// Runs commands on an SSH host through one libssh session, which lives on its own thread with
/// every other libssh object of it. Commands become exec channels multiplexed on that session
/// (at most `SshTarget::maxChannels` at once). The first command connects if nobody called
/// connectToHost(); after a failed connect commands fail at once until connectToHost() is called
/// again, so that a refused host key is not asked about for every probe of a plan.
class SshTransport final : public Transport {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SshTransport)
public:
    enum class State { Disconnected, Connecting, Connected, Failed };
    Q_ENUM(State)

    explicit SshTransport(const SshTarget &target, QObject *parent = nullptr);
    ~SshTransport() override;

    QString description() const override;
    CommandJob *start(const CommandRequest &request) override;
    /// An exec channel of its own whose stdin stays open (see Transport::startInteractive).
    InteractiveJob *startInteractive(const CommandRequest &request) override;

    const SshTarget &target() const { return m_target; }
    State state() const { return m_state; }
    /// Why the last connect failed or the connection dropped; empty while all is well.
    QString lastError() const { return m_lastError; }

    /// Answers host-key, passphrase and password questions; not owned; null = non-interactive.
    void setInteraction(SshInteraction *interaction) { m_interaction = interaction; }
    SshInteraction *interaction() const { return m_interaction; }

public Q_SLOTS:
    /// Connects (or reconnects) in the background; stateChanged() tells how it went.
    void connectToHost();
    /// Ends the session; commands in flight end with ConnectionLost.
    void disconnectFromHost();

Q_SIGNALS:
    void stateChanged(nestscope::SshTransport::State state, const QString &message);

private:
    friend class detail::SshCommandJob;
    detail::SshCommandJob *startJob(const CommandRequest &request, bool interactive);
    void cancelJob(quint64 id);
    void writeJob(quint64 id, const QByteArray &data, bool closeStdin);
    void onWorkerState(int state, const QString &message, const QString &description);

    SshTarget m_target;
    State m_state = State::Disconnected;
    QString m_lastError;
    QString m_description;
    SshInteraction *m_interaction = nullptr;
    QThread *m_thread = nullptr;
    detail::SshWorker *m_worker = nullptr;
    std::shared_ptr<std::atomic_bool> m_abort;
    QHash<quint64, QPointer<detail::SshCommandJob>> m_jobs;
    quint64 m_nextId = 1;
};

} // namespace nestscope
