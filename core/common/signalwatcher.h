#pragma once

#include <QObject>

#include <memory>

class QSocketNotifier;

namespace nestscope {

/// Turns SIGINT, SIGTERM and SIGHUP into a Qt signal on the thread that made the watcher, from
/// the moment it is constructed: Ctrl+C, a CI job's timeout and a closed terminal all stop a
/// command-line run the same way, whatever it is doing. The handler only writes the signal's
/// number into a socket pair (the one thing a handler may safely do); the notifier reads it on
/// the event loop. One watcher per process; the previous handlers come back when it is destroyed.
class SignalWatcher final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    /// The first signal that arrived, or 0. Set by the handler itself, so it is true at once,
    /// also before the event loop has delivered signalled().
    static int caught();

Q_SIGNALS:
    /// Once per signal that arrives (the first and any later one).
    void signalled(int signal);

private:
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace nestscope
