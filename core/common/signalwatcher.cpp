#include "signalwatcher.h"

#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <iterator>
#include <sys/socket.h>
#include <unistd.h>

namespace nestscope {

namespace {

constexpr int kSignals[] = { SIGINT, SIGTERM, SIGHUP };

int g_pipe[2] = { -1, -1 };
volatile std::sig_atomic_t g_caught = 0;
struct sigaction g_previous[std::size(kSignals)];

void onSignal(int signal)
{
    if (g_caught == 0) {
        g_caught = signal;
    }
    const int saved = errno; // the interrupted code may be about to read errno
    const char c = static_cast<char>(signal);
    [[maybe_unused]] const auto n = ::write(g_pipe[1], &c, 1);
    errno = saved;
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent)
    : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_pipe) != 0) {
        g_pipe[0] = g_pipe[1] = -1;
        return; // no watcher: the signals keep their default action, which still ends the process
    }
    // Never block in the handler, even if a flood of signals fills the socket.
    ::fcntl(g_pipe[1], F_SETFL, ::fcntl(g_pipe[1], F_GETFL) | O_NONBLOCK);
    m_notifier = std::make_unique<QSocketNotifier>(g_pipe[0], QSocketNotifier::Read);
    connect(m_notifier.get(), &QSocketNotifier::activated, this, [this] {
        char c = 0;
        if (::read(g_pipe[0], &c, 1) == 1) {
            Q_EMIT signalled(static_cast<unsigned char>(c));
        }
    });
    struct sigaction action { };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
        ::sigaction(kSignals[i], &action, &g_previous[i]);
    }
}

SignalWatcher::~SignalWatcher()
{
    if (!m_notifier) {
        return;
    }
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
        ::sigaction(kSignals[i], &g_previous[i], nullptr);
    }
    m_notifier.reset();
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

int SignalWatcher::caught()
{
    return g_caught;
}

} // namespace nestscope
