#pragma once

// Internal to the SSH transport: the object that lives on the connection's thread and owns every
// libssh object of it. SshTransport talks to it only through queued calls and queued signals.

#include "sshsession.h"
#include "transport.h"

#include <QElapsedTimer>
#include <QObject>

#include <deque>
#include <map>
#include <memory>

class QSocketNotifier;
class QTimer;
struct ssh_event_struct;

namespace nestscope::detail {

struct SshJob;
struct ShellSlot;

class SshWorker final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SshWorker)
public:
    enum class State { Disconnected, Connecting, Connected, Failed };
    Q_ENUM(State)

    SshWorker(const SshTarget &target, SshAsker asker);
    ~SshWorker() override;

    void connectToHost();
    void disconnectFromHost();
    void startCommand(quint64 id, const nestscope::CommandRequest &request, bool interactive = false);
    void writeStdin(quint64 id, const QByteArray &data, bool close);
    void cancelCommand(quint64 id);

    // Called from libssh's channel callbacks, on this thread, during pump().
    void onData(SshJob *job, const char *data, qsizetype size, bool isStdErr);
    void onSlotData(ShellSlot *slot, const char *data, qsizetype size, bool isStdErr);

Q_SIGNALS:
    void stateChanged(nestscope::detail::SshWorker::State state, const QString &message, const QString &description);
    void output(quint64 id, bool isStdErr, const QByteArray &chunk);
    void commandFinished(quint64 id, const nestscope::CommandResult &result);

private:
    void connectFailed(const QString &message);
    void pump();
    void advance();
    void startQueued();
    void startQueuedNow();
    void launch(std::unique_ptr<SshJob> owned);
    int channelsHeld() const;
    bool flushStdin(SshJob *job);
    void eofFailed(SshJob *job);
    bool openAndExec(SshJob *job);
    void finishJob(quint64 id);
    void stopJob(quint64 id, CommandOutcome why);
    void retire(SshJob *job);
    void connectionLost(const QString &why);
    void teardown();
    void keepaliveTick();
    void checkAlive();
    void updateWriteInterest();
    void fail(SshJob *job, CommandOutcome outcome, const QString &message);
    bool usingShells() const;
    void startQueuedOnShells();
    bool driveSlot(ShellSlot *slot);
    void assignToSlot(ShellSlot *slot, std::unique_ptr<SshJob> job);
    void finishSlotJob(ShellSlot *slot);
    void killSlot(ShellSlot *slot);
    void noteClose();
    void settleCloses(quint64 closesSeen);
    int closesInFlight() const;
    bool roomForChannel(int held);
    void sendProbe();
    void pollProbe();
    void probeOverdue();

    SshTarget m_target;
    SshAsker m_asker;
    State m_state = State::Disconnected;
    ConnectedSession m_connection;
    ssh_event_struct *m_event = nullptr;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer *m_keepalive = nullptr;
    QElapsedTimer m_lastReceived;
    std::deque<std::unique_ptr<SshJob>> m_queue;
    std::deque<std::unique_ptr<SshJob>> m_interactiveQueue; ///< startInteractive()'s, each for a channel of its own
    std::map<quint64, std::unique_ptr<SshJob>> m_active;
    std::vector<std::unique_ptr<ShellSlot>> m_slots;
    bool m_shellsFailed = false; ///< the server would not run a shell slot: exec channels only
    QString m_lastConnectError;
    int m_limit = 8;
    int m_finishedSinceRefusal = 0;
    bool m_pumping = false;
    bool m_holdQueue = false; ///< the server refused a channel: wait before opening more
    // sshd frees a session only in the loop iteration after the one that read our CHANNEL_CLOSE, so
    // a session whose close is on its way still counts against MaxSessions. A close counts as
    // settled once the server has answered a request we sent after it (a channel open, an exec,
    // a probe): whatever we send after that answer is read in a later iteration.
    quint64 m_closesSent = 0; ///< CHANNEL_CLOSEs sent for channels the server had opened
    quint64 m_closesSettled = 0; ///< of those, how many the server has provably processed
    quint64 m_opensSent = 0; ///< channel opens sent, to order refusals against acceptances
    bool m_probeOutstanding = false; ///< a round trip (see sendProbe) awaits its answer
    quint64 m_probeCovers = 0; ///< m_closesSent when the probe went out
    QTimer *m_probeTimer = nullptr;
    bool m_recheckQueued = false;
};

} // namespace nestscope::detail
