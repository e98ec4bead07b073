#include "lxderror.h"

#include <QRegularExpression>

namespace nestscope {

namespace {

constexpr qsizetype kMaxErrorLine = 400;

/// The line that says what happened. lxc prints a first-start blurb ("If this is your first time
/// running LXD ...") before its error; the error line starts with "Error:".
QString errorLineOf(const QString &output)
{
    const QStringList lines = output.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QString line;
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (it->trimmed().startsWith(QLatin1String("Error:"))) {
            line = it->trimmed();
            break;
        }
    }
    if (line.isEmpty()) {
        for (auto it = lines.crbegin(); it != lines.crend() && line.isEmpty(); ++it) {
            line = it->trimmed();
        }
    }
    if (line.size() > kMaxErrorLine) {
        line = line.left(kMaxErrorLine) + QStringLiteral("…");
    }
    return line;
}

/// The socket path the client names: Go's "dial unix PATH: connect: …", LXD 5.x's
/// `LXD unix socket "PATH" not accessible`, Incus's "(socket path: PATH)".
QString socketOf(const QString &text)
{
    static const QRegularExpression patterns[] = {
        QRegularExpression(QStringLiteral("dial unix ([^\\s:]+)")),
        QRegularExpression(QStringLiteral("unix socket \"([^\"]+)\"")),
        QRegularExpression(QStringLiteral("socket path: ([^\\s)]+)")),
    };
    for (const QRegularExpression &re : patterns) {
        const QRegularExpressionMatch m = re.match(text);
        if (m.hasMatch()) {
            return m.captured(1);
        }
    }
    return {};
}

bool clientNotFound(const QString &lower)
{
    // dash: "sh: 1: lxc: not found"; bash: "bash: line 1: lxc: command not found"; Go's exec:
    // `exec: "lxc": executable file not found in $PATH`; the discovery script: "… is not on the PATH".
    static const QRegularExpression shell(QStringLiteral("\\b(lxc|incus): (command )?not found"));
    return shell.match(lower).hasMatch() || lower.contains(QLatin1String("executable file not found"))
        || lower.contains(QLatin1String("not on the path")) || lower.contains(QLatin1String("neither lxc nor incus"));
}

bool mentionsSocket(const QString &lower)
{
    return lower.contains(QLatin1String("unix.socket")) || lower.contains(QLatin1String("dial unix"))
        || lower.contains(QLatin1String("socket path"));
}

QString otherClient(const QString &client)
{
    return client == QLatin1String("incus") ? QStringLiteral("lxc") : QStringLiteral("incus");
}

QString groupOf(const QString &daemon)
{
    return daemon == QLatin1String("Incus") ? QStringLiteral("incus-admin") : QStringLiteral("lxd");
}

QString startAdvice(const QString &daemon)
{
    return daemon == QLatin1String("Incus")
        ? QStringLiteral("start it: `sudo systemctl start incus` (a new install needs `sudo incus admin init "
                         "--auto` first)")
        : QStringLiteral("start it: `sudo systemctl start lxd`, or `sudo snap start lxd` (a new install needs "
                         "`sudo lxd init --auto` first); if it runs from another folder, set LXD_DIR to it");
}

} // namespace

QString lxdDaemonName(const QString &client)
{
    return client == QLatin1String("incus") ? QStringLiteral("Incus") : QStringLiteral("LXD");
}

LxdError classifyLxdError(const QString &output, const QString &client, const QStringList &clientsFound)
{
    LxdError e;
    e.errorLine = errorLineOf(output);
    const QString lower = output.toLower();
    // Which daemon: the client's name when known, else what the text names (Incus's paths and
    // messages say "incus"; "neither lxc nor incus is on the PATH", the discovery script's words,
    // names both).
    const bool neither = lower.contains(QLatin1String("neither lxc nor incus"));
    const QString used = !client.isEmpty()                   ? client
        : lower.contains(QLatin1String("incus")) && !neither ? QStringLiteral("incus")
                                                             : QStringLiteral("lxc");
    e.daemon = lxdDaemonName(used);
    e.socket = socketOf(output);
    const QString other = otherClient(used);
    const QString otherDaemon = lxdDaemonName(other);
    const bool otherInstalled = clientsFound.contains(other) && !clientsFound.contains(used);
    const bool otherAlsoInstalled = clientsFound.contains(other);
    const QString switchTo
        = QStringLiteral("choose %1 as the instance client (File > Settings in the workbench)").arg(otherDaemon);

    if (clientNotFound(lower)) {
        if (otherInstalled) {
            e.kind = LxdFailure::OtherClient;
            e.problem = QStringLiteral("the %1 client (`%2`) is not installed on the runner, but %3 (`%4`) is")
                            .arg(e.daemon, used, otherDaemon, other);
            e.advice = QStringLiteral("choose %1, or “Whichever the runner has”, as the instance client (File > "
                                      "Settings in the workbench)")
                           .arg(otherDaemon);
            return e;
        }
        e.kind = LxdFailure::ClientMissing;
        e.problem = neither ? QStringLiteral("neither `lxc` nor `incus` is installed on the runner")
                            : QStringLiteral("the %1 client (`%2`) is not installed on the runner").arg(e.daemon, used);
        e.advice = QStringLiteral("install the client of the daemon it runs: `apt install lxd-client` (LXD) or "
                                  "`apt install incus-client` (Incus), or `snap install lxd`");
        return e;
    }

    const bool denied = lower.contains(QLatin1String("permission denied"))
        || lower.contains(QLatin1String("needed permissions")) || lower.contains(QLatin1String("not allowed"));
    if (denied && mentionsSocket(lower)) {
        e.kind = LxdFailure::PermissionDenied;
        const QString group = groupOf(e.daemon);
        e.problem = e.socket.isEmpty()
            ? QStringLiteral("the user may not use the %1 daemon (permission denied)").arg(e.daemon)
            : QStringLiteral("the user may not use the %1 daemon (permission denied on %2)").arg(e.daemon, e.socket);
        e.advice = QStringLiteral("add the user to the `%1` group: `sudo usermod -aG %1 $USER`, then log in again "
                                  "(a group counts from the next login on), or connect as root")
                       .arg(group);
        return e;
    }

    const bool missing = lower.contains(QLatin1String("no such file or directory"));
    const bool refused = lower.contains(QLatin1String("connection refused"));
    const bool notStarted = lower.contains(QLatin1String("doesn't appear to be started"))
        || lower.contains(QLatin1String("does not appear to be started"));
    if (((missing || refused) && mentionsSocket(lower)) || notStarted) {
        const QString where = e.socket.isEmpty() ? QString()
            : refused                            ? QStringLiteral(" (%1 refuses connections)").arg(e.socket)
                                                 : QStringLiteral(" (there is no %1)").arg(e.socket);
        if (otherAlsoInstalled) {
            e.kind = LxdFailure::OtherClient;
            e.problem = QStringLiteral("the %1 daemon is not running%2, but %3 is installed on the runner")
                            .arg(e.daemon, where, otherDaemon);
            e.advice = QStringLiteral("if the instances are %1's, %2 and discover again; if they are %3's, %4")
                           .arg(otherDaemon, switchTo, e.daemon, startAdvice(e.daemon));
            return e;
        }
        e.kind = LxdFailure::DaemonNotRunning;
        e.problem = QStringLiteral("the %1 daemon is not running%2").arg(e.daemon, where);
        e.advice = startAdvice(e.daemon);
        return e;
    }

    e.kind = LxdFailure::Unknown;
    e.problem = QStringLiteral("the %1 client could not talk to its daemon").arg(e.daemon);
    e.advice = QStringLiteral("is the LXD/Incus daemon running, and is the user in its group (`lxd`, or "
                              "`incus-admin` for Incus)?");
    return e;
}

} // namespace nestscope
