#include "sshserver.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <pwd.h>
#include <shadow.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nestscope::test {

namespace {

const QString kSshd = QStringLiteral("/usr/sbin/sshd");
const QString kTestUser = QStringLiteral("nestscope-test");

int freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        return 0;
    }
    return probe.serverPort();
}

bool writeFile(const QString &path, const QByteArray &data, QFile::Permissions perms)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size()) {
        return false;
    }
    f.close();
    return f.setPermissions(perms);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Test processes run side by side (ctest -j) and each starts its own servers: the changes to the
/// test users (useradd, usermod, chpasswd) are made one process at a time, and all agree on one
/// password. Kept in /run (a tmpfs, root only), so the password lives no longer than the boot.
const QString kStateDir = QStringLiteral("/run/nestscope-test");

class UserLock {
public:
    UserLock()
    {
        ::mkdir(QFile::encodeName(kStateDir).constData(), 0700);
        m_fd = ::open(
            QFile::encodeName(kStateDir + QStringLiteral("/lock")).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m_fd >= 0) {
            ::flock(m_fd, LOCK_EX);
        }
    }
    ~UserLock()
    {
        if (m_fd >= 0) {
            ::close(m_fd); // releases the lock
        }
    }
    UserLock(const UserLock &) = delete;
    UserLock &operator=(const UserLock &) = delete;

private:
    int m_fd = -1;
};

/// The per-boot password, made on first use: 24 random letters and digits.
QString bootPassword(bool *fresh)
{
    const QString path = kStateDir + QStringLiteral("/password");
    QString password = QString::fromLatin1(readFile(path).trimmed());
    *fresh = password.isEmpty();
    if (*fresh) {
        const QByteArray alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        QRandomGenerator *random = QRandomGenerator::system();
        for (int i = 0; i < 24; ++i) {
            password += QLatin1Char(alphabet.at(random->bounded(static_cast<int>(alphabet.size()))));
        }
        if (!writeFile(path, password.toLatin1(), QFile::ReadOwner | QFile::WriteOwner)) {
            return {};
        }
    }
    return password;
}

} // namespace

bool SshServer::run(const QString &program, const QStringList &args, QString *output, const QProcessEnvironment &env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    // A helper process of the fixture, not a result under test: waiting for it is not synchronisation.
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return false;
    }
    if (output) {
        *output = QString::fromLocal8Bit(p.readAll());
    }
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

SshServer::SshServer() = default;

SshServer::~SshServer()
{
    freezeConnections(false);
    kill();
}

bool SshServer::ensureUser(const Options &options)
{
    if (::geteuid() != 0) {
        if (options.bashrc) {
            m_error = QStringLiteral("a test user with its own login shell can only be set up as root");
            return false;
        }
        if (options.passwordAuthentication || options.keyboardInteractive) {
            m_error = QStringLiteral("a test user with a known password can only be set up as root");
            return false;
        }
        const passwd *pw = ::getpwuid(::geteuid());
        m_user = pw ? QString::fromLocal8Bit(pw->pw_name) : qEnvironmentVariable("USER");
        m_home = QDir::homePath();
        return true;
    }
    m_user = options.bashrc ? kTestUser + QStringLiteral("-bash") : kTestUser;
    m_home = QStringLiteral("/var/lib/") + m_user;
    const QString shell = options.bashrc ? QStringLiteral("/bin/bash") : QStringLiteral("/bin/sh");
    const UserLock lock;
    QString out;
    if (!::getpwnam(m_user.toLocal8Bit().constData())) {
        if (!run(QStringLiteral("useradd"),
                { QStringLiteral("--system"), QStringLiteral("--create-home"), QStringLiteral("--home-dir"), m_home,
                    QStringLiteral("--shell"), shell, QStringLiteral("--comment"),
                    QStringLiteral("Nestscope SSH tests"), m_user },
                &out)) {
            m_error = QStringLiteral("useradd %1 failed: %2").arg(m_user, out);
            return false;
        }
    }
    // useradd leaves the account locked ("!"), which sshd refuses without PAM. The bash user gets
    // "*" ("no password"); `nestscope-test` gets the per-boot password, for every fixture alike, so
    // that a server started for key logins does not take it away from a password test running
    // beside it.
    const QByteArray account = m_user.toLocal8Bit();
    const spwd *shadow = ::getspnam(account.constData());
    const bool noPassword = !shadow || !shadow->sp_pwdp || shadow->sp_pwdp[0] == '*' || shadow->sp_pwdp[0] == '!';
    QStringList usermod { QStringLiteral("-s"), shell, m_user };
    if (options.bashrc) {
        usermod = QStringList { QStringLiteral("-p"), QStringLiteral("*") } + usermod;
    }
    if (!run(QStringLiteral("usermod"), usermod, &out)) {
        m_error = QStringLiteral("usermod failed: %1").arg(out);
        return false;
    }
    if (!options.bashrc) {
        bool fresh = false;
        m_password = bootPassword(&fresh);
        if (m_password.isEmpty()) {
            m_error = QStringLiteral("cannot keep the test password in %1").arg(kStateDir);
            return false;
        }
        if (fresh || noPassword) {
            QProcess chpasswd;
            chpasswd.setProcessChannelMode(QProcess::MergedChannels);
            chpasswd.start(QStringLiteral("chpasswd"), {});
            chpasswd.write((m_user + QLatin1Char(':') + m_password + QLatin1Char('\n')).toLocal8Bit());
            chpasswd.closeWriteChannel();
            if (!chpasswd.waitForFinished(30000) || chpasswd.exitStatus() != QProcess::NormalExit
                || chpasswd.exitCode() != 0) {
                m_error = QStringLiteral("chpasswd failed: %1").arg(QString::fromLocal8Bit(chpasswd.readAll()));
                return false;
            }
        }
    } else if (options.passwordAuthentication || options.keyboardInteractive) {
        m_error = QStringLiteral("password logins are set up for %1 only, not with a bashrc").arg(kTestUser);
        return false;
    }
    if (options.bashrc) {
        // Debian's bash reads ~/.bashrc for every command sshd runs (SSH_SOURCE_BASHRC).
        const QString rc = m_home + QStringLiteral("/.bashrc");
        QFile f(rc);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(*options.bashrc) != options.bashrc->size()) {
            m_error = QStringLiteral("cannot write %1").arg(rc);
            return false;
        }
    }
    return true;
}

bool SshServer::start(const Options &options)
{
    if (!QFile::exists(kSshd)) {
        m_error = QStringLiteral("%1 is missing (Debian package openssh-server)").arg(kSshd);
        return false;
    }
    if (!m_dir.isValid() || !ensureUser(options)) {
        if (m_error.isEmpty()) {
            m_error = QStringLiteral("cannot create a temporary directory");
        }
        return false;
    }
    // The login user must be able to read authorized_keys: sshd opens it with the user's rights.
    QFile::setPermissions(dir(),
        QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther
            | QFile::ExeOther);
    if (::geteuid() == 0) {
        QDir().mkpath(QStringLiteral("/run/sshd")); // privilege separation directory
    }
    const QString keygen = QStringLiteral("ssh-keygen");
    QString out;
    for (const auto &[name, pass] :
        { std::pair { QStringLiteral("host_ed25519"), QString() },
            std::pair { QStringLiteral("client_key"), QString() }, std::pair { QStringLiteral("wrong_key"), QString() },
            std::pair { QStringLiteral("encrypted_key"), passphrase() },
            std::pair { QStringLiteral("impostor_host_key"), QString() } }) {
        if (!run(keygen,
                { QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"), QStringLiteral("-N"), pass,
                    QStringLiteral("-C"), name, QStringLiteral("-f"), dir() + QLatin1Char('/') + name },
                &out)) {
            m_error = QStringLiteral("ssh-keygen failed: %1").arg(out);
            return false;
        }
    }
    const QByteArray authorized
        = readFile(clientKey() + QStringLiteral(".pub")) + readFile(encryptedKey() + QStringLiteral(".pub"));
    const auto readable = QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther;
    if (!writeFile(dir() + QStringLiteral("/authorized_keys"), authorized, readable)
        || !writeFile(emptyConfig(), QByteArray(), readable)) {
        m_error = QStringLiteral("cannot write into %1").arg(dir());
        return false;
    }

    const auto yesNo = [](bool on) {
        return on ? QStringLiteral("yes") : QStringLiteral("no");
    };
    // Keyboard-interactive has no backend on Linux but PAM; password logins could do without it,
    // but go through PAM as on a stock Debian server.
    const bool usePam = options.passwordAuthentication || options.keyboardInteractive;
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freePort();
        const QString config = QStringLiteral("Port %1\n"
                                              "ListenAddress 127.0.0.1\n"
                                              "HostKey %2/host_ed25519\n"
                                              "PidFile none\n"
                                              "AuthorizedKeysFile %2/authorized_keys\n"
                                              "StrictModes no\n"
                                              "UsePAM %6\n"
                                              "PubkeyAuthentication yes\n"
                                              "PasswordAuthentication %7\n"
                                              "KbdInteractiveAuthentication %8\n"
                                              "PermitRootLogin prohibit-password\n"
                                              "AllowUsers %3\n"
                                              "MaxSessions %4\n"
                                              "MaxStartups 200\n"
                                              "AllowTcpForwarding yes\n"
                                              "PrintMotd no\n"
                                              "LogLevel ERROR\n"
                                              "%5\n")
                                   .arg(m_port)
                                   .arg(dir(), m_user)
                                   .arg(options.maxSessions)
                                   .arg(options.extraConfig, yesNo(usePam), yesNo(options.passwordAuthentication),
                                       yesNo(options.keyboardInteractive));
        const QString configPath = dir() + QStringLiteral("/sshd_config");
        if (!writeFile(configPath, config.toUtf8(), QFile::ReadOwner | QFile::WriteOwner)) {
            m_error = QStringLiteral("cannot write %1").arg(configPath);
            return false;
        }
        m_sshd.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // If the test crashes, sshd must not outlive it listening on a port.
        m_sshd.setChildProcessModifier([] {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        });
        m_sshd.start(kSshd, { QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), configPath });
        if (!m_sshd.waitForStarted(5000)) {
            m_error = QStringLiteral("cannot start %1: %2").arg(kSshd, m_sshd.errorString());
            return false;
        }
        // Ready when it accepts a connection (or gone if the port was taken meanwhile).
        const QDeadlineTimer deadline(5000);
        while (!deadline.hasExpired() && m_sshd.state() == QProcess::Running) {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, static_cast<quint16>(m_port));
            if (probe.waitForConnected(200)) {
                return true;
            }
            QThread::msleep(20);
        }
        m_sshd.kill();
        m_sshd.waitForFinished();
    }
    m_error = QStringLiteral("sshd did not start listening on 127.0.0.1");
    return false;
}

QByteArray SshServer::knownHostsLine() const
{
    const QList<QByteArray> pub = readFile(dir() + QStringLiteral("/host_ed25519.pub")).trimmed().split(' ');
    return "[127.0.0.1]:" + QByteArray::number(m_port) + ' ' + pub.value(0) + ' ' + pub.value(1) + '\n';
}

QByteArray SshServer::impostorKnownHostsLine() const
{
    const QList<QByteArray> pub = readFile(dir() + QStringLiteral("/impostor_host_key.pub")).trimmed().split(' ');
    return "[127.0.0.1]:" + QByteArray::number(m_port) + ' ' + pub.value(0) + ' ' + pub.value(1) + '\n';
}

QList<qint64> SshServer::connectionPids() const
{
    // Every descendant of the listener: the privileged monitor per connection, its unprivileged
    // child that holds the socket, and the commands' shells.
    QList<qint64> pids;
    const qint64 master = m_sshd.processId();
    if (master <= 0) {
        return pids;
    }
    QHash<qint64, qint64> parentOf;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &e : entries) {
        bool ok = false;
        const qint64 pid = e.toLongLong(&ok);
        if (!ok) {
            continue;
        }
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
        const QByteArray stat = readFile(QStringLiteral("/proc/%1/stat").arg(pid));
        const QList<QByteArray> rest = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1) {
            parentOf.insert(pid, rest.at(1).toLongLong());
        }
    }
    QList<qint64> frontier { master };
    while (!frontier.isEmpty()) {
        const qint64 parent = frontier.takeFirst();
        for (auto it = parentOf.cbegin(); it != parentOf.cend(); ++it) {
            if (it.value() == parent && !pids.contains(it.key())) {
                pids << it.key();
                frontier << it.key();
            }
        }
    }
    return pids;
}

void SshServer::kill()
{
    if (m_sshd.state() == QProcess::NotRunning) {
        return;
    }
    const QList<qint64> children = connectionPids();
    ::kill(static_cast<pid_t>(m_sshd.processId()), SIGKILL);
    for (qint64 pid : children) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    m_sshd.waitForFinished(5000);
}

void SshServer::freezeConnections(bool frozen)
{
    for (qint64 pid : connectionPids()) {
        ::kill(static_cast<pid_t>(pid), frozen ? SIGSTOP : SIGCONT);
    }
}

SshAgent::~SshAgent()
{
    if (m_agent.state() != QProcess::NotRunning) {
        m_agent.terminate();
        m_agent.waitForFinished(3000);
    }
}

bool SshAgent::start(const QString &socketPath, const QString &key)
{
    m_socket = socketPath;
    m_agent.setProcessChannelMode(QProcess::ForwardedChannels);
    m_agent.setChildProcessModifier([] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    });
    m_agent.start(QStringLiteral("ssh-agent"), { QStringLiteral("-D"), QStringLiteral("-a"), socketPath });
    if (!m_agent.waitForStarted(5000)) {
        return false;
    }
    const QDeadlineTimer deadline(5000);
    while (!QFile::exists(socketPath) && !deadline.hasExpired()) {
        QThread::msleep(10);
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SSH_AUTH_SOCK"), socketPath);
    return SshServer::run(QStringLiteral("ssh-add"), { QStringLiteral("-q"), key }, nullptr, env);
}

} // namespace nestscope::test
