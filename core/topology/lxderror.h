#pragma once

#include <QString>
#include <QStringList>

namespace nestscope {

/// Why an LXD or Incus client could not talk to its daemon.
enum class LxdFailure {
    ClientMissing, ///< the client is not installed ("sh: 1: lxc: not found")
    DaemonNotRunning, ///< its socket is missing, or nothing listens on it
    PermissionDenied, ///< the user may not use the socket (not in the lxd / incus-admin group)
    OtherClient, ///< the client asked for is missing or its daemon is down, and the other one is installed
    Unknown, ///< none of these: the client's own words are all there is
};

/// What a failed `lxc` / `incus` command means, for a person: which kind of failure, the client's
/// own error line, and one sentence each of what is wrong and what to do.
struct LxdError {
    LxdFailure kind = LxdFailure::Unknown;
    QString daemon; ///< "LXD" or "Incus": the daemon the client talks to
    QString errorLine; ///< the line that says what happened ("Error: …"), not lxc's first-start blurb; capped
    QString socket; ///< the socket the client dialled, when it says
    QString problem; ///< what is wrong: a clause starting in lower case, no full stop
    QString advice; ///< what to do, with the commands: a clause starting in lower case, no full stop
};

/// Classifies what an LXD or Incus client printed when it failed (stdout and stderr as they came,
/// lxc's "If this is your first time…" blurb included). `client` is the client that ran ("lxc" or
/// "incus"; empty: read from the text). `clientsFound` lists the clients on the runner's PATH when
/// that is known (empty: unknown); with it, a missing client or a stopped daemon whose counterpart
/// is installed is OtherClient, with the advice to switch the instance client in the Settings.
/// Pure: no process is run, the text is all it reads.
LxdError classifyLxdError(const QString &output, const QString &client = {}, const QStringList &clientsFound = {});

/// The daemon name for a client: "Incus" for incus, "LXD" otherwise.
QString lxdDaemonName(const QString &client);

} // namespace nestscope
