// The SSH transport against a real OpenSSH server started by the test itself (see sshserver.h).

#include "sshserver.h"
#include "transport/knownhostsmarker.h"
#include "transport/sshconfig.h"
#include "transport/sshtransport.h"

#include <QCryptographicHash>
#include <QFile>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <unistd.h>

using namespace nestscope;
using nestscope::test::SshAgent;
using nestscope::test::SshServer;

namespace {

/// Password logins need a test user with a password, which only root can set up. CI=true runs as
/// root and must not skip them silently.
#define REQUIRE_ROOT_FOR(what)                                                                                         \
    do {                                                                                                               \
        if (::geteuid() != 0) {                                                                                        \
            if (qgetenv("CI") == "true") {                                                                             \
                QFAIL(what " needs root, and CI=true requires it to run");                                             \
            }                                                                                                          \
            QSKIP(what " needs root (a test user with a password)");                                                   \
        }                                                                                                              \
    } while (false)

/// Answers prompts as a person at the keyboard would, and records what was asked.
class ScriptedInteraction final : public SshInteraction {
public:
    HostKeyDecision decision = HostKeyDecision::Refuse;
    std::optional<QString> passphraseAnswer;
    std::optional<QString> passwordAnswer;
    /// Unset: keyboard-interactive prompts take SshInteraction's default (password prompts go to
    /// password(), as for the CLI's terminal). Set: every prompt gets this answer (nullopt = cancel).
    std::optional<std::optional<QString>> promptAnswer;
    QList<HostKeyInfo> hostKeyQuestions;
    QStringList passphraseQuestions;
    QStringList passwordQuestions;
    QList<SshPrompt> prompts;

    HostKeyDecision unknownHostKey(const HostKeyInfo &info) override
    {
        hostKeyQuestions << info;
        return decision;
    }
    std::optional<QString> passphrase(const QString &keyFile) override
    {
        passphraseQuestions << keyFile;
        return passphraseAnswer;
    }
    std::optional<QString> password(const QString &userAtHost) override
    {
        passwordQuestions << userAtHost;
        return passwordAnswer;
    }
    std::optional<QString> keyboardInteractive(const SshPrompt &prompt) override
    {
        prompts << prompt;
        return promptAnswer ? *promptAnswer : SshInteraction::keyboardInteractive(prompt);
    }
};

/// Restores SSH_AUTH_SOCK when a test is done with it.
class AgentEnvironment {
public:
    explicit AgentEnvironment(const QString &socket)
        : m_saved(qgetenv("SSH_AUTH_SOCK"))
        , m_had(qEnvironmentVariableIsSet("SSH_AUTH_SOCK"))
    {
        if (socket.isEmpty()) {
            qunsetenv("SSH_AUTH_SOCK");
        } else {
            qputenv("SSH_AUTH_SOCK", socket.toLocal8Bit());
        }
    }
    ~AgentEnvironment()
    {
        if (m_had) {
            qputenv("SSH_AUTH_SOCK", m_saved);
        } else {
            qunsetenv("SSH_AUTH_SOCK");
        }
    }

private:
    QByteArray m_saved;
    bool m_had;
};

CommandResult runOne(Transport &transport, const QString &command,
    std::chrono::milliseconds timeout = std::chrono::seconds(20), int waitMs = 30000)
{
    CommandRequest request;
    request.command = command;
    request.timeout = timeout;
    CommandJob *job = transport.start(request);
    QSignalSpy spy(job, &CommandJob::finished);
    if (!spy.wait(waitMs)) {
        CommandResult none;
        none.errorString = QStringLiteral("no result within %1 ms").arg(waitMs);
        return none;
    }
    return spy.first().first().value<CommandResult>();
}

bool writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// OpenSSH's HashKnownHosts form of a host name: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
QByteArray hashedHost(const QByteArray &name)
{
    QByteArray salt(20, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(salt.data()), salt.size() / 4);
    return "|1|" + salt.toBase64() + '|'
        + QMessageAuthenticationCode::hash(name, salt, QCryptographicHash::Sha1).toBase64();
}

/// `line` ("host type key\n", as SshServer gives it) with its host field replaced by `host` and a
/// marker ("@revoked", "@cert-authority") put in front.
QByteArray markedLine(const QByteArray &marker, const QByteArray &host, const QByteArray &line)
{
    const QList<QByteArray> fields = line.trimmed().split(' ');
    return marker + ' ' + host + ' ' + fields.value(1) + ' ' + fields.value(2) + '\n';
}

} // namespace

class TestSshTransport : public QObject {
    Q_OBJECT

private:
    SshServer m_server;
    QString m_knownHosts;
    QString m_noAgent;

    /// A target for the test server with a known_hosts that trusts it and the plain client key.
    SshTarget target() const
    {
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = m_server.port();
        t.user = m_server.user();
        t.identityFile = m_server.clientKey();
        t.configFile = m_server.emptyConfig();
        t.knownHostsFile = m_knownHosts;
        t.connectTimeout = std::chrono::seconds(10);
        return t;
    }

    /// Starts `server` taking passwords and/or keyboard-interactive, and returns a target for it
    /// with no key file and (callers unset SSH_AUTH_SOCK) no agent: only an answer can log in.
    SshTarget passwordTarget(SshServer &server, bool password, bool keyboardInteractive) const
    {
        SshServer::Options options;
        options.passwordAuthentication = password;
        options.keyboardInteractive = keyboardInteractive;
        if (!server.start(options)) {
            qWarning("%s", qPrintable(server.error()));
            return {};
        }
        SshTarget t = target();
        t.port = server.port();
        t.identityFile = server.dir() + QStringLiteral("/no-such-key");
        t.knownHostsFile = server.dir() + QStringLiteral("/known_hosts");
        if (!writeFile(t.knownHostsFile, server.knownHostsLine())) {
            return {};
        }
        return t;
    }

    /// Starts `jump` as a jump host for the client key that may forward to 127.0.0.1:nextPort only.
    bool startJumpHost(SshServer &jump, int nextPort) const
    {
        SshServer::Options options;
        options.extraConfig = QStringLiteral("PermitOpen 127.0.0.1:%1\n").arg(nextPort);
        if (!jump.start(options)) {
            qWarning("%s", qPrintable(jump.error()));
            return false;
        }
        const QString keys = jump.dir() + QStringLiteral("/authorized_keys");
        QFile::remove(keys);
        return QFile::copy(m_server.dir() + QStringLiteral("/authorized_keys"), keys)
            && QFile::setPermissions(keys, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!m_server.start()) {
            QFAIL(qPrintable(m_server.error()));
        }
        m_knownHosts = m_server.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(m_knownHosts, m_server.knownHostsLine()));
    }

    void keyFileLogin()
    {
        AgentEnvironment noAgent({});
        SshTransport transport(target());
        const CommandResult r = runOne(transport, QStringLiteral("printf out; printf err >&2; exit 3"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.stdOut, QByteArray("out"));
        QVERIFY2(r.stdErr.startsWith("err"), r.stdErr.constData());
        QCOMPARE(transport.state(), SshTransport::State::Connected);
        // stdin is empty and closed, so a command that reads it does not hang.
        const CommandResult reader = runOne(transport, QStringLiteral("cat; echo done"), std::chrono::seconds(5));
        QCOMPARE(reader.outcome, CommandOutcome::Exited);
        QCOMPARE(reader.stdOut, QByteArray("done\n"));
    }

    void encryptedKeyAsksForPassphrase()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.identityFile = m_server.encryptedKey();
        SshTransport transport(t);
        ScriptedInteraction interaction;
        interaction.passphraseAnswer = SshServer::passphrase();
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("echo hello"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.stdOut, QByteArray("hello\n"));
        QCOMPARE(interaction.passphraseQuestions, QStringList { m_server.encryptedKey() });
    }

    void agentLogin()
    {
        SshAgent agent;
        QVERIFY(agent.start(m_server.dir() + QStringLiteral("/agent.sock"), m_server.clientKey()));
        AgentEnvironment env(agent.socketPath());
        SshTarget t = target();
        t.identityFile = m_server.dir() + QStringLiteral("/no-such-key"); // only the agent can log in
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("echo via-agent"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.stdOut, QByteArray("via-agent\n"));
    }

    void agentWithoutAnAcceptedKeyIsNamed()
    {
        // An agent that holds only a key the server does not know (or none at all): the message
        // says the agent was tried and none of its keys was accepted.
        SshAgent agent;
        QVERIFY(agent.start(m_server.dir() + QStringLiteral("/wrong-agent.sock"), m_server.wrongKey()));
        AgentEnvironment env(agent.socketPath());
        SshTarget t = target();
        t.identityFile = m_server.dir() + QStringLiteral("/no-such-key");
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("the server accepted none of the keys in ssh-agent")),
            qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(QStringLiteral("the key %1 does not exist").arg(t.identityFile)),
            qPrintable(r.errorString));
    }

    void wrongKeyIsDenied()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.identityFile = m_server.wrongKey();
        SshTransport transport(t);
        QSignalSpy state(&transport, &SshTransport::stateChanged);
        const CommandResult r = runOne(transport, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("permission denied")), qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(m_server.wrongKey()), qPrintable(r.errorString));
        QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
    }

    void unknownHostIsRefusedWhenNonInteractive()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/empty_known_hosts");
        QVERIFY(writeFile(t.knownHostsFile, {}));
        const QString marker = m_server.dir() + QStringLiteral("/unknown-marker");
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.startsWith(QStringLiteral("REFUSED")), qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(QStringLiteral("SHA256:")), qPrintable(r.errorString));
        QVERIFY(!QFile::exists(marker));
        QVERIFY(readFile(t.knownHostsFile).isEmpty());
    }

    void unknownHostAskedAndAcceptedOnce()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/once_known_hosts");
        QVERIFY(writeFile(t.knownHostsFile, {}));
        ScriptedInteraction interaction;
        interaction.decision = HostKeyDecision::AcceptOnce;
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("echo ok"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(interaction.hostKeyQuestions.size(), 1);
        const HostKeyInfo &info = interaction.hostKeyQuestions.first();
        QCOMPARE(info.status, HostKeyInfo::Status::Unknown);
        QCOMPARE(info.keyType, QStringLiteral("ssh-ed25519"));
        QCOMPARE(info.host, QStringLiteral("[127.0.0.1]:%1").arg(m_server.port()));
        QVERIFY(info.fingerprint.startsWith(QStringLiteral("SHA256:")));
        QVERIFY(readFile(t.knownHostsFile).isEmpty()); // once means once
    }

    void acceptNewHostKeySavesIt()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/new_known_hosts");
        QFile::remove(t.knownHostsFile);
        t.acceptNewHostKey = true;
        {
            SshTransport transport(t);
            QCOMPARE(runOne(transport, QStringLiteral("true")).outcome, CommandOutcome::Exited);
        }
        QVERIFY2(readFile(t.knownHostsFile).contains("ssh-ed25519"), readFile(t.knownHostsFile).constData());
        // Now known: a strict, non-interactive connection succeeds.
        t.acceptNewHostKey = false;
        SshTransport again(t);
        QCOMPARE(runOne(again, QStringLiteral("true")).outcome, CommandOutcome::Exited);
    }

    void changedHostKeyIsRefusedAndNothingRuns()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/changed_known_hosts");
        QVERIFY(writeFile(t.knownHostsFile, "# a comment\n" + m_server.impostorKnownHostsLine()));
        t.acceptNewHostKey = true; // must make no difference
        ScriptedInteraction interaction;
        interaction.decision = HostKeyDecision::AcceptAndSave; // nor must this
        const QString marker = m_server.dir() + QStringLiteral("/changed-marker");
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        const QString &m = r.errorString;
        QVERIFY2(m.contains(QStringLiteral("has changed")), qPrintable(m));
        QVERIFY2(m.contains(QStringLiteral("[127.0.0.1]:%1").arg(m_server.port())), qPrintable(m));
        QVERIFY2(m.contains(t.knownHostsFile + QStringLiteral(" line 2")), qPrintable(m));
        QCOMPARE(m.count(QStringLiteral("SHA256:")), 2);
        QVERIFY(interaction.hostKeyQuestions.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
        // A second command does not retry behind the user's back.
        const CommandResult again = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(again.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(again.errorString.contains(QStringLiteral("has changed")), qPrintable(again.errorString));
        QVERIFY(!QFile::exists(marker));
        QVERIFY(!readFile(t.knownHostsFile).contains(m_server.knownHostsLine().split(' ').at(2)));
    }

    void timeoutKillsAndSessionStaysUsable()
    {
        AgentEnvironment noAgent({});
        SshTransport transport(target());
        QCOMPARE(runOne(transport, QStringLiteral("true")).outcome, CommandOutcome::Exited);
        const CommandResult r = runOne(transport, QStringLiteral("sleep 100"), std::chrono::milliseconds(1000), 10000);
        QCOMPARE(r.outcome, CommandOutcome::Timeout);
        QVERIFY2(r.wallTimeMs >= 1000 && r.wallTimeMs < 5000, qPrintable(QString::number(r.wallTimeMs)));
        const CommandResult next = runOne(transport, QStringLiteral("echo still-here"));
        QCOMPARE(next.outcome, CommandOutcome::Exited);
        QCOMPARE(next.stdOut, QByteArray("still-here\n"));
        QCOMPARE(transport.state(), SshTransport::State::Connected);
    }

    void cancelStopsCommand()
    {
        AgentEnvironment noAgent({});
        SshTransport transport(target());
        CommandRequest request;
        request.command = QStringLiteral("echo started; sleep 100");
        CommandJob *job = transport.start(request);
        QSignalSpy out(job, &CommandJob::stdOutChunk);
        QSignalSpy done(job, &CommandJob::finished);
        QVERIFY(out.wait(30000));
        job->cancel();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().value<CommandResult>().outcome, CommandOutcome::Cancelled);
        QCOMPARE(runOne(transport, QStringLiteral("true")).outcome, CommandOutcome::Exited);
    }

    void outputIsCapped()
    {
        AgentEnvironment noAgent({});
        SshTransport transport(target());
        const CommandResult r = runOne(transport, QStringLiteral("head -c 5242880 /dev/zero; echo tail >&2"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.stdOut.size(), qsizetype(1024 * 1024));
        QVERIFY(r.stdOutTruncated);
        QCOMPARE(r.stdErr, QByteArray("tail\n"));
        QVERIFY(!r.stdErrTruncated);
    }

    void binaryOutputRoundTrips()
    {
        AgentEnvironment noAgent({});
        QByteArray data;
        for (int i = 0; i < 256; ++i) {
            data.append(static_cast<char>(i));
        }
        QByteArray random(200 * 1024, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
        data += random;
        const QString path = m_server.dir() + QStringLiteral("/binary.bin");
        QVERIFY(writeFile(path, data));
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
        SshTransport transport(target());
        const CommandResult r = runOne(transport, QStringLiteral("cat %1; cat %1 >&2").arg(path));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.stdOut.size(), data.size());
        QVERIFY(r.stdOut == data);
        QVERIFY(r.stdErr == data);
    }

    void manyCommandsConcurrently()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.maxChannels = 8;
        SshTransport transport(t);
        const int count = 200;
        QList<CommandResult> results;
        QHash<CommandJob *, int> index;
        int finished = 0;
        QList<int> order(count, -1);
        for (int i = 0; i < count; ++i) {
            CommandRequest request;
            request.command = QStringLiteral("echo %1").arg(i);
            CommandJob *job = transport.start(request);
            connect(job, &CommandJob::finished, this, [&, i](const CommandResult &r) {
                QCOMPARE(r.outcome, CommandOutcome::Exited);
                QCOMPARE(r.stdOut, QByteArray::number(i) + '\n');
                order[i] = finished++;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished, count, 60000);
    }

    void refusedChannelsBackOff()
    {
        // A server that allows only 3 sessions per connection, and a transport that asks for 8.
        AgentEnvironment noAgent({});
        SshServer small;
        SshServer::Options options;
        options.maxSessions = 3;
        QVERIFY2(small.start(options), qPrintable(small.error()));
        const QString knownHosts = small.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(knownHosts, small.knownHostsLine()));
        SshTarget t = target();
        t.port = small.port();
        t.identityFile = small.clientKey();
        t.knownHostsFile = knownHosts;
        t.maxChannels = 8;
        SshTransport transport(t);
        int ok = 0;
        int failed = 0;
        for (int i = 0; i < 30; ++i) {
            CommandRequest request;
            request.command = QStringLiteral("sleep 0.05; echo %1").arg(i);
            connect(transport.start(request), &CommandJob::finished, this, [&](const CommandResult &r) {
                (r.outcome == CommandOutcome::Exited && r.exitCode == 0 ? ok : failed)++;
                if (r.outcome != CommandOutcome::Exited) {
                    qWarning() << r.errorString;
                }
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(ok + failed, 30, 60000);
        QCOMPARE(failed, 0);
    }

    void interactiveCommandReadsWhatIsWritten()
    {
        // startInteractive: a channel of its own whose stdin stays open, output only streamed.
        AgentEnvironment noAgent({});
        SshTransport transport(target());
        CommandRequest request;
        request.command
            = QStringLiteral("while read -r line; do echo \"got $line\"; echo \"err $line\" >&2; done; exit 4");
        request.timeout = std::chrono::milliseconds(0); // none
        InteractiveJob *job = transport.startInteractive(request);
        QVERIFY(job);
        QByteArray out;
        QByteArray err;
        connect(job, &CommandJob::stdOutChunk, this, [&](const QByteArray &d) {
            out += d;
        });
        connect(job, &CommandJob::stdErrChunk, this, [&](const QByteArray &d) {
            err += d;
        });
        QSignalSpy done(job, &CommandJob::finished);
        job->write("one\n"); // before the channel is open: kept until then
        QTRY_COMPARE_WITH_TIMEOUT(out, QByteArray("got one\n"), 30000);
        job->write("two\nthree\n");
        QTRY_COMPARE_WITH_TIMEOUT(out, QByteArray("got one\ngot two\ngot three\n"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(err, QByteArray("err one\nerr two\nerr three\n"), 30000);
        job->closeStdin();
        QVERIFY(done.wait(30000));
        const CommandResult r = done.first().first().value<CommandResult>();
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 4);
        QVERIFY(r.stdOut.isEmpty()); // streamed, not collected
        // Long-lived commands leave at least two channels for the others.
        SshTarget t = target();
        t.maxChannels = 3;
        SshTransport small(t);
        CommandRequest shell;
        shell.command = QStringLiteral("cat");
        shell.timeout = std::chrono::milliseconds(0);
        InteractiveJob *first = small.startInteractive(shell);
        InteractiveJob *second = small.startInteractive(shell);
        QSignalSpy secondDone(second, &CommandJob::finished);
        QVERIFY(secondDone.wait(30000));
        QCOMPARE(secondDone.first().first().value<CommandResult>().outcome, CommandOutcome::FailedToStart);
        QSignalSpy firstOut(first, &CommandJob::stdOutChunk);
        first->write("still here\n");
        QVERIFY(firstOut.wait(30000));
        CommandRequest plain;
        plain.command = QStringLiteral("echo plain");
        QSignalSpy plainDone(small.start(plain), &CommandJob::finished);
        QVERIFY(plainDone.wait(30000));
        QCOMPARE(plainDone.first().first().value<CommandResult>().stdOut, QByteArray("plain\n"));
        first->cancel();
    }

    void closedChannelsAreNotReusedTooEarly()
    {
        // sshd frees a session only after the loop iteration that read its close: a transport that
        // opens into a just-closed slot gets "no more sessions". With MaxSessions equal to the
        // transport's limit, every such race would show as a refusal; there must be none.
        AgentEnvironment noAgent({});
        SshServer exact;
        SshServer::Options options;
        options.maxSessions = 8;
        QVERIFY2(exact.start(options), qPrintable(exact.error()));
        const QString knownHosts = exact.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(knownHosts, exact.knownHostsLine()));
        SshTarget t = target();
        t.port = exact.port();
        t.identityFile = exact.clientKey();
        t.knownHostsFile = knownHosts;
        t.maxChannels = 8;
        SshTransport transport(t);
        static QAtomicInt refusals;
        refusals = 0;
        QLoggingCategory::setFilterRules(QStringLiteral("nestscope.ssh.info=true"));
        static QtMessageHandler previous = nullptr;
        previous
            = qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &context, const QString &message) {
                  if (message.contains(QLatin1String("refused a channel"))) {
                      refusals.ref();
                  }
                  previous(type, context, message);
              });
        const int count = 160;
        int started = 0;
        int ok = 0;
        int finished = 0;
        std::function<void()> startOne = [&] {
            CommandRequest request;
            request.command = QStringLiteral("true");
            ++started;
            connect(transport.start(request), &CommandJob::finished, this, [&](const CommandResult &r) {
                ok += r.outcome == CommandOutcome::Exited && r.exitCode == 0 ? 1 : 0;
                ++finished;
                if (started < count) {
                    startOne();
                }
            });
        };
        for (int i = 0; i < 8; ++i) {
            startOne();
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished, count, 60000);
        qInstallMessageHandler(previous);
        QLoggingCategory::setFilterRules(QString());
        QCOMPARE(ok, count);
        QCOMPARE(refusals.loadRelaxed(), 0);
    }

    void idleSessionSurvivesKeepalives()
    {
        // An idle session is probed every third of the keepalive interval, and every probe must
        // be answered: it stays connected for several intervals and runs the next command on it.
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.keepaliveInterval = std::chrono::milliseconds(1500);
        SshTransport transport(t);
        CommandRequest request;
        request.command = QStringLiteral("echo first");
        QSignalSpy first(transport.start(request), &CommandJob::finished);
        QVERIFY(first.wait(30000));
        QSignalSpy states(&transport, &SshTransport::stateChanged);
        QTest::qWait(5000); // more than three intervals
        QCOMPARE(transport.state(), SshTransport::State::Connected);
        QCOMPARE(states.size(), 0);
        request.command = QStringLiteral("echo second");
        QSignalSpy second(transport.start(request), &CommandJob::finished);
        QVERIFY(second.wait(30000));
        QCOMPARE(second.first().first().value<CommandResult>().stdOut, QByteArray("second\n"));
        QCOMPARE(states.size(), 0);
    }

    void deadPeerGivesConnectionLost()
    {
        AgentEnvironment noAgent({});
        SshServer doomed;
        QVERIFY2(doomed.start(), qPrintable(doomed.error()));
        const QString knownHosts = doomed.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(knownHosts, doomed.knownHostsLine()));
        SshTarget t = target();
        t.port = doomed.port();
        t.identityFile = doomed.clientKey();
        t.knownHostsFile = knownHosts;
        SshTransport transport(t);
        CommandRequest request;
        request.command = QStringLiteral("echo started; sleep 60");
        request.timeout = std::chrono::seconds(90);
        QList<CommandJob *> jobs { transport.start(request), transport.start(request) };
        QSignalSpy out(jobs.first(), &CommandJob::stdOutChunk);
        QSignalSpy done0(jobs.at(0), &CommandJob::finished);
        QSignalSpy done1(jobs.at(1), &CommandJob::finished);
        QVERIFY(out.wait(30000));
        doomed.kill();
        QTRY_COMPARE_WITH_TIMEOUT(done0.size() + done1.size(), 2, 30000);
        QCOMPARE(done0.first().first().value<CommandResult>().outcome, CommandOutcome::ConnectionLost);
        QCOMPARE(done1.first().first().value<CommandResult>().outcome, CommandOutcome::ConnectionLost);
        QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Disconnected, 30000);
    }

    void silentPeerDetectedByKeepalive()
    {
        AgentEnvironment noAgent({});
        SshServer hung;
        QVERIFY2(hung.start(), qPrintable(hung.error()));
        const QString knownHosts = hung.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(knownHosts, hung.knownHostsLine()));
        SshTarget t = target();
        t.port = hung.port();
        t.identityFile = hung.clientKey();
        t.knownHostsFile = knownHosts;
        t.keepaliveInterval = std::chrono::milliseconds(1500);
        SshTransport transport(t);
        CommandRequest request;
        request.command = QStringLiteral(
            "echo started; sleep 10"); // short: a frozen connection leaves this shell orphaned once it is thawed
        request.timeout = std::chrono::seconds(90);
        CommandJob *job = transport.start(request);
        QSignalSpy out(job, &CommandJob::stdOutChunk);
        QSignalSpy done(job, &CommandJob::finished);
        QVERIFY(out.wait(30000));
        QElapsedTimer clock;
        clock.start();
        hung.freezeConnections(true);
        QVERIFY(done.wait(30000));
        const CommandResult r = done.first().first().value<CommandResult>();
        QCOMPARE(r.outcome, CommandOutcome::ConnectionLost);
        // Declared dead once silent for the keepalive interval (1.5 s), not at the command's 90 s
        // timeout; how soon after the interval depends on the machine's load, so the bound is loose.
        QVERIFY2(clock.elapsed() < 45000, qPrintable(QString::number(clock.elapsed())));
        hung.freezeConnections(false);
        // The transport reconnects for the next command.
        const CommandResult next = runOne(transport, QStringLiteral("echo back"));
        QCOMPARE(next.outcome, CommandOutcome::Exited);
        QCOMPARE(next.stdOut, QByteArray("back\n"));
    }

    void proxyJumpThroughSecondServer()
    {
        AgentEnvironment noAgent({});
        SshServer jump;
        QVERIFY2(jump.start(), qPrintable(jump.error()));
        // The jump server accepts the same client key as the target.
        QFile::remove(jump.dir() + QStringLiteral("/authorized_keys"));
        QVERIFY(QFile::copy(
            m_server.dir() + QStringLiteral("/authorized_keys"), jump.dir() + QStringLiteral("/authorized_keys")));
        QFile::setPermissions(jump.dir() + QStringLiteral("/authorized_keys"),
            QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther | QFile::ReadGroup);
        const QString knownHosts = m_server.dir() + QStringLiteral("/jump_known_hosts");
        QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + jump.knownHostsLine()));
        SshTarget t = target();
        t.knownHostsFile = knownHosts;
        t.proxyJump = QStringLiteral("%1@127.0.0.1:%2").arg(m_server.user()).arg(jump.port());
        {
            SshTransport transport(t);
            const CommandResult r = runOne(transport, QStringLiteral("echo jumped"));
            QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
            QCOMPARE(r.stdOut, QByteArray("jumped\n"));
            QVERIFY2(transport.description().contains(QStringLiteral(" via ")), qPrintable(transport.description()));
            // The path really runs through the jump server: kill it and the target session dies too.
            jump.kill();
            const CommandResult lost = runOne(transport, QStringLiteral("sleep 30"), std::chrono::seconds(60), 10000);
            QVERIFY2(
                !lost.errorString.startsWith(QStringLiteral("no result")), "the command was lost without a result");
            QVERIFY2(lost.outcome == CommandOutcome::ConnectionLost || lost.outcome == CommandOutcome::FailedToStart,
                qPrintable(toText(lost.outcome) + QLatin1Char(' ') + lost.errorString));
        }
        // The jump host's key goes through the same policy: unknown -> refused, naming the jump host.
        SshServer jump2;
        QVERIFY2(jump2.start(), qPrintable(jump2.error()));
        t.proxyJump = QStringLiteral("%1@127.0.0.1:%2").arg(m_server.user()).arg(jump2.port());
        SshTransport refused(t);
        const CommandResult r = runOne(refused, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("jump host")), qPrintable(r.errorString));
    }

    void destroyingWhileConnectingDoesNotBlock()
    {
        // A server that accepts and then says nothing: libssh's connect blocks in the worker.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        SshTarget t = target();
        t.port = silent.serverPort();
        t.connectTimeout = std::chrono::seconds(30);
        auto *transport = new SshTransport(t);
        CommandRequest request;
        request.command = QStringLiteral("true");
        CommandJob *job = transport->start(request);
        QSignalSpy done(job, &CommandJob::finished);
        QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections() || silent.waitForNewConnection(0), 30000);
        std::unique_ptr<QTcpSocket> peer(silent.nextPendingConnection());
        QElapsedTimer clock;
        clock.start();
        delete transport;
        // It does not wait out the 30 s connect timeout on the silent server.
        QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(done.size(), 1);
        QCOMPARE(done.first().first().value<CommandResult>().outcome, CommandOutcome::ConnectionLost);
        peer->abort(); // the abandoned connect fails now and its thread ends before the test does
    }

    void silentServerTimesOut_data()
    {
        QTest::addColumn<QByteArray>("greeting");
        QTest::newRow("accepts, says nothing") << QByteArray();
        QTest::newRow("banner, then nothing") << QByteArray("SSH-2.0-OpenSSH_9.2p1 silent\r\n");
    }

    void silentServerTimesOut()
    {
        // A peer that accepts the TCP connection and never speaks SSH (no banner, or no key
        // exchange after it): the connect gives up after ConnectTimeout, with a message, instead
        // of hanging.
        QFETCH(QByteArray, greeting);
        AgentEnvironment noAgent({});
        QTcpServer silent; // the kernel accepts; nobody writes more than the greeting
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        std::vector<std::unique_ptr<QTcpSocket>> peers;
        connect(&silent, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *peer = silent.nextPendingConnection()) {
                peer->write(greeting);
                peers.emplace_back(peer);
            }
        });
        SshTarget t = target();
        t.port = silent.serverPort();
        t.connectTimeout = std::chrono::seconds(3);
        const QString marker = m_server.dir() + QStringLiteral("/silent-marker");
        SshTransport transport(t);
        QElapsedTimer clock;
        clock.start();
        const CommandResult r
            = runOne(transport, QStringLiteral("touch %1").arg(marker), std::chrono::seconds(60), 60000);
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("127.0.0.1")), qPrintable(r.errorString));
        // Says what the person set and can change, not only libssh's "Timeout connecting".
        QVERIFY2(r.errorString.contains(QStringLiteral("no SSH answer within the ConnectTimeout of 3 s")),
            qPrintable(r.errorString));
        // The promise made to the person: ConnectTimeout, plus at most 5 s.
        QVERIFY2(elapsed < 3000 + 5000, qPrintable(QString::number(elapsed)));
        QTRY_COMPARE(transport.state(), SshTransport::State::Failed);
        QVERIFY(!QFile::exists(marker));
    }

    void optionLibsshRefusesIsReported_data()
    {
        QTest::addColumn<QString>("host");
        // libssh 0.10.6 checks the syntax of a host name; these never reach a socket.
        QTest::newRow("host with a semicolon") << QStringLiteral("bad;host");
        QTest::newRow("host with a space") << QStringLiteral("bad host");
    }

    void optionLibsshRefusesIsReported()
    {
        // An option that libssh refuses must end the connect with a message saying so, not be
        // dropped and leave the session to fail later (or connect somewhere else) for another reason.
        QFETCH(QString, host);
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.host = host;
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("libssh refused")), qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(QStringLiteral("the host name \"%1\"").arg(host)), qPrintable(r.errorString));
    }

    void persistentShellsRunCommands()
    {
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.persistentShells = true;
        t.maxChannels = 4;
        SshTransport transport(t);
        CommandResult r = runOne(transport, QStringLiteral("printf out; printf err >&2; exit 3"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.stdOut, QByteArray("out"));
        QCOMPARE(r.stdErr, QByteArray("err"));
        // Output that ends in a newline, quotes, and a command that tries to read stdin.
        r = runOne(transport, QStringLiteral("echo \"a'b\"; cat; echo done"));
        QCOMPARE(r.stdOut, QByteArray("a'b\ndone\n"));
        // The same shell serves the next command: $PPID stays the same.
        const QByteArray first = runOne(transport, QStringLiteral("echo $PPID")).stdOut;
        QCOMPARE(runOne(transport, QStringLiteral("echo $PPID")).stdOut, first);
        // Binary output and the cap.
        QByteArray data;
        for (int i = 0; i < 256; ++i) {
            data.append(static_cast<char>(i));
        }
        const QString path = m_server.dir() + QStringLiteral("/shell-binary.bin");
        QVERIFY(writeFile(path, data.repeated(64)));
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther);
        r = runOne(transport, QStringLiteral("cat %1").arg(path));
        QVERIFY(r.stdOut == data.repeated(64));
        r = runOne(transport, QStringLiteral("head -c 3000000 /dev/zero"));
        QCOMPARE(r.stdOut.size(), qsizetype(1024 * 1024));
        QVERIFY(r.stdOutTruncated);
        // A timeout kills that shell; the next command gets a new one.
        r = runOne(transport, QStringLiteral("sleep 100"), std::chrono::milliseconds(500), 10000);
        QCOMPARE(r.outcome, CommandOutcome::Timeout);
        QCOMPARE(runOne(transport, QStringLiteral("echo after")).stdOut, QByteArray("after\n"));
        // Many at once.
        int finished = 0;
        int good = 0;
        for (int i = 0; i < 100; ++i) {
            CommandRequest request;
            request.command = QStringLiteral("echo %1").arg(i);
            connect(transport.start(request), &CommandJob::finished, this, [&, i](const CommandResult &res) {
                ++finished;
                good += res.outcome == CommandOutcome::Exited && res.stdOut == QByteArray::number(i) + '\n';
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished, 100, 60000);
        QCOMPARE(good, 100);
    }

    void persistentShellsReadTheRcFileOncePerSlot()
    {
        // A login shell with an rc file: exec channels pay for it on every command, shells once.
        AgentEnvironment noAgent({});
        SshServer bash;
        SshServer::Options options;
        options.bashrc = QByteArray("echo x >> \"$HOME/rc-count\"\n");
        if (!bash.start(options)) {
            QSKIP(qPrintable(bash.error()));
        }
        const QString knownHosts = bash.dir() + QStringLiteral("/known_hosts");
        QVERIFY(writeFile(knownHosts, bash.knownHostsLine()));
        SshTarget t = target();
        t.port = bash.port();
        t.user = bash.user();
        t.identityFile = bash.clientKey();
        t.knownHostsFile = knownHosts;
        const QString counter = bash.userHome() + QStringLiteral("/rc-count");
        for (const bool shells : { false, true }) {
            QFile::remove(counter);
            t.persistentShells = shells;
            t.maxChannels = 2;
            SshTransport transport(t);
            for (int i = 0; i < 10; ++i) {
                const CommandResult r = runOne(transport, QStringLiteral("echo $0"));
                QCOMPARE(r.outcome, CommandOutcome::Exited);
            }
            const qsizetype reads = readFile(counter).count('x');
            if (shells) {
                QCOMPARE(reads, qsizetype(1)); // one slot was enough for commands one at a time
            } else {
                QCOMPARE(reads, qsizetype(10));
            }
        }
    }

    void proxyJumpFromSshConfig()
    {
        AgentEnvironment noAgent({});
        SshServer jump;
        QVERIFY2(jump.start(), qPrintable(jump.error()));
        QFile::remove(jump.dir() + QStringLiteral("/authorized_keys"));
        QVERIFY(QFile::copy(
            m_server.dir() + QStringLiteral("/authorized_keys"), jump.dir() + QStringLiteral("/authorized_keys")));
        const QString knownHosts = m_server.dir() + QStringLiteral("/jump2_known_hosts");
        QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + jump.knownHostsLine()));
        const QString config = m_server.dir() + QStringLiteral("/jump_config");
        QVERIFY(writeFile(config,
            QStringLiteral("Host bastion\n  HostName 127.0.0.1\n  Port %1\n  User %3\n  IdentityFile %4\n"
                           "Host runner-3\n  HostName 127.0.0.1\n  Port %2\n  User %3\n  ProxyJump bastion\n"
                           "  IdentityFile %4\n")
                .arg(jump.port())
                .arg(m_server.port())
                .arg(m_server.user(), m_server.clientKey())
                .toUtf8()));
        QCOMPARE(SshConfigFile::load(config).hostAliases(),
            (QStringList { QStringLiteral("bastion"), QStringLiteral("runner-3") }));
        SshTarget t;
        t.host = QStringLiteral("runner-3");
        t.configFile = config;
        t.knownHostsFile = knownHosts;
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("echo via-config"));
        QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
        QCOMPARE(r.stdOut, QByteArray("via-config\n"));
    }

    void passwordLogin()
    {
        REQUIRE_ROOT_FOR("a password login");
        AgentEnvironment noAgent({});
        SshServer server;
        const SshTarget t = passwordTarget(server, true, false);
        QVERIFY(!t.host.isEmpty());
        ScriptedInteraction interaction;
        interaction.passwordAnswer = server.password();
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("echo by-password"));
        QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
        QCOMPARE(r.stdOut, QByteArray("by-password\n"));
        QCOMPARE(interaction.passwordQuestions, QStringList { QStringLiteral("%1@127.0.0.1").arg(server.user()) });
        QVERIFY(interaction.prompts.isEmpty()); // the server offers no keyboard-interactive
    }

    void wrongPasswordFailsWithoutAskingAgain()
    {
        REQUIRE_ROOT_FOR("a password login");
        AgentEnvironment noAgent({});
        SshServer server;
        const SshTarget t = passwordTarget(server, true, false);
        QVERIFY(!t.host.isEmpty());
        ScriptedInteraction interaction;
        interaction.passwordAnswer = QStringLiteral("not-") + server.password();
        const QString marker = server.dir() + QStringLiteral("/password-marker");
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("permission denied for %1@127.0.0.1").arg(server.user())),
            qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(QStringLiteral("a password (rejected)")), qPrintable(r.errorString));
        QCOMPARE(interaction.passwordQuestions.size(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
        // The next command neither logs in nor asks again: the person reconnects explicitly.
        const CommandResult again = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(again.outcome, CommandOutcome::FailedToStart);
        QCOMPARE(interaction.passwordQuestions.size(), 1);
        QVERIFY(!QFile::exists(marker));
    }

    void keyboardInteractivePromptIsAnswered()
    {
        REQUIRE_ROOT_FOR("a keyboard-interactive login");
        AgentEnvironment noAgent({});
        SshServer server;
        const SshTarget t = passwordTarget(server, false, true);
        QVERIFY(!t.host.isEmpty());
        {
            // The server's own prompt reaches the interaction (the GUI shows it as worded).
            ScriptedInteraction interaction;
            interaction.promptAnswer = std::optional<QString>(server.password());
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("echo by-pam"));
            QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
            QCOMPARE(r.stdOut, QByteArray("by-pam\n"));
            QCOMPARE(interaction.prompts.size(), 1);
            const SshPrompt &prompt = interaction.prompts.first();
            QVERIFY2(prompt.text.contains(QStringLiteral("Password"), Qt::CaseInsensitive), qPrintable(prompt.text));
            QVERIFY(!prompt.echo);
            QCOMPARE(prompt.userAtHost, QStringLiteral("%1@127.0.0.1").arg(server.user()));
            QVERIFY(interaction.passwordQuestions.isEmpty());
        }
        {
            // An interaction that only knows passwords (the CLI's terminal) logs in through PAM's
            // "Password:" prompt too.
            ScriptedInteraction interaction;
            interaction.passwordAnswer = server.password();
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("echo by-password-prompt"));
            QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
            QCOMPARE(interaction.passwordQuestions.size(), 1);
        }
        {
            // A wrong answer: one prompt, a clear refusal, no second round through another method.
            ScriptedInteraction interaction;
            interaction.promptAnswer = std::optional<QString>(QStringLiteral("wrong"));
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("true"));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(r.errorString.contains(QStringLiteral("permission denied")), qPrintable(r.errorString));
            QVERIFY2(r.errorString.contains(QStringLiteral("keyboard-interactive (the answers were rejected)")),
                qPrintable(r.errorString));
            QCOMPARE(interaction.prompts.size(), 1);
            QVERIFY(interaction.passwordQuestions.isEmpty());
        }
    }

    void cancellingThePromptStopsTheLogin()
    {
        REQUIRE_ROOT_FOR("a password login");
        AgentEnvironment noAgent({});
        SshServer server;
        // Both methods offered: a cancelled keyboard-interactive prompt must not turn into a
        // password prompt.
        const SshTarget t = passwordTarget(server, true, true);
        QVERIFY(!t.host.isEmpty());
        const QString marker = server.dir() + QStringLiteral("/cancel-marker");
        {
            ScriptedInteraction interaction;
            interaction.promptAnswer = std::optional<QString>(); // the person pressed Cancel
            interaction.passwordAnswer = server.password(); // never to be asked
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            QSignalSpy states(&transport, &SshTransport::stateChanged);
            QElapsedTimer clock;
            clock.start();
            const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(r.errorString.contains(QStringLiteral("cancelled")), qPrintable(r.errorString));
            QVERIFY2(r.errorString.contains(QStringLiteral("Password")), qPrintable(r.errorString));
            QCOMPARE(interaction.prompts.size(), 1);
            QVERIFY(interaction.passwordQuestions.isEmpty());
            // It ends with the cancel, not at the 15 s connect timeout (loose: a busy machine is slow).
            QVERIFY2(clock.elapsed() < 14500, qPrintable(QString::number(clock.elapsed())));
            QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
            QVERIFY2(transport.lastError().contains(QStringLiteral("cancelled")), qPrintable(transport.lastError()));
        }
        {
            // The same through the password method (a server without keyboard-interactive).
            SshServer passwordOnly;
            const SshTarget p = passwordTarget(passwordOnly, true, false);
            QVERIFY(!p.host.isEmpty());
            ScriptedInteraction interaction; // passwordAnswer unset: Cancel
            SshTransport transport(p);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(
                r.errorString.contains(QStringLiteral("cancelled: no password was given")), qPrintable(r.errorString));
            QCOMPARE(interaction.passwordQuestions.size(), 1);
            QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
        }
        QVERIFY(!QFile::exists(marker));
    }

    void cancelledPasswordSaysWhatHappenedToTheKeys()
    {
        // The GUI can always ask; when the person cancels the password, the message still says
        // why a password was needed at all.
        REQUIRE_ROOT_FOR("a password login");
        AgentEnvironment noAgent({});
        SshServer server;
        SshTarget t = passwordTarget(server, true, false);
        QVERIFY(!t.host.isEmpty());
        const QString missing = t.identityFile;
        {
            ScriptedInteraction interaction; // passwordAnswer unset: Cancel
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("true"));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            const QString &m = r.errorString;
            QVERIFY2(m.contains(QStringLiteral("cancelled: no password was given")), qPrintable(m));
            QVERIFY2(m.contains(QStringLiteral("the key %1 does not exist").arg(missing)), qPrintable(m));
        }
        {
            t.identityFile = server.wrongKey();
            ScriptedInteraction interaction;
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("true"));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(r.errorString.contains(QStringLiteral("the server rejected the key %1").arg(server.wrongKey())),
                qPrintable(r.errorString));
        }
    }

    void proxyJumpChainFromSshConfig()
    {
        // jump1 -> jump2 -> target, each jump host allowed to forward to the next hop only.
        AgentEnvironment noAgent({});
        SshServer jump2;
        QVERIFY(startJumpHost(jump2, m_server.port()));
        SshServer jump1;
        QVERIFY(startJumpHost(jump1, jump2.port()));
        const QString knownHosts = m_server.dir() + QStringLiteral("/chain_known_hosts");
        QVERIFY(writeFile(knownHosts, m_server.knownHostsLine() + jump1.knownHostsLine() + jump2.knownHostsLine()));
        const QString config = m_server.dir() + QStringLiteral("/chain_config");
        QVERIFY(writeFile(config,
            QStringLiteral("Host bastion-1\n  HostName 127.0.0.1\n  Port %1\n"
                           "Host bastion-2\n  HostName 127.0.0.1\n  Port %2\n"
                           "Host runner-3\n  HostName 127.0.0.1\n  Port %3\n  ProxyJump bastion-1,bastion-2\n"
                           "Host *\n  User %4\n  IdentityFile %5\n")
                .arg(jump1.port())
                .arg(jump2.port())
                .arg(m_server.port())
                .arg(m_server.user(), m_server.clientKey())
                .toUtf8()));
        SshTarget t;
        t.host = QStringLiteral("runner-3");
        t.configFile = config;
        t.knownHostsFile = knownHosts;
        t.connectTimeout = std::chrono::seconds(10);
        {
            // PermitOpen is real: skipping the middle hop, the first jump host may not reach the target.
            SshTarget skipping = t;
            skipping.proxyJump = QStringLiteral("bastion-1");
            SshTransport transport(skipping);
            const CommandResult r = runOne(transport, QStringLiteral("true"));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(r.errorString.contains(QStringLiteral("jump host %1@127.0.0.1:%2 could not open a connection to "
                                                           "127.0.0.1:%3")
                                                .arg(m_server.user())
                                                .arg(jump1.port())
                                                .arg(m_server.port())),
                qPrintable(r.errorString));
        }
        {
            SshTransport transport(t);
            const CommandResult r = runOne(transport, QStringLiteral("echo chained"));
            QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
            QCOMPARE(r.stdOut, QByteArray("chained\n"));
            QVERIFY2(transport.description().endsWith(QStringLiteral(" via bastion-1,bastion-2")),
                qPrintable(transport.description()));
            // Many commands through both tunnels at once.
            int finished = 0;
            int good = 0;
            for (int i = 0; i < 40; ++i) {
                CommandRequest request;
                request.command = QStringLiteral("echo %1").arg(i);
                connect(transport.start(request), &CommandJob::finished, this, [&, i](const CommandResult &res) {
                    ++finished;
                    good += res.outcome == CommandOutcome::Exited && res.stdOut == QByteArray::number(i) + '\n';
                });
            }
            QTRY_COMPARE_WITH_TIMEOUT(finished, 40, 60000);
            QCOMPARE(good, 40);
            // The path runs through the first hop: kill it and the target session dies with it.
            jump1.kill();
            const CommandResult lost = runOne(transport, QStringLiteral("sleep 30"), std::chrono::seconds(60), 10000);
            QVERIFY2(
                !lost.errorString.startsWith(QStringLiteral("no result")), "the command was lost without a result");
            QVERIFY2(lost.outcome == CommandOutcome::ConnectionLost || lost.outcome == CommandOutcome::FailedToStart,
                qPrintable(toText(lost.outcome) + QLatin1Char(' ') + lost.errorString));
        }
    }

    void proxyJumpChainChecksEveryHopsKey()
    {
        AgentEnvironment noAgent({});
        SshServer jump2;
        QVERIFY(startJumpHost(jump2, m_server.port()));
        SshServer jump1;
        QVERIFY(startJumpHost(jump1, jump2.port()));
        SshTarget t = target();
        t.proxyJump = QStringLiteral("%1@127.0.0.1:%2,%1@127.0.0.1:%3")
                          .arg(m_server.user())
                          .arg(jump1.port())
                          .arg(jump2.port());
        const QString marker = m_server.dir() + QStringLiteral("/chain-marker");
        const QString middle = QStringLiteral("[127.0.0.1]:%1").arg(jump2.port());
        {
            // The middle hop's key has changed: refused, naming that hop, whatever the policy says.
            t.knownHostsFile = m_server.dir() + QStringLiteral("/chain_changed_known_hosts");
            QVERIFY(writeFile(
                t.knownHostsFile, m_server.knownHostsLine() + jump1.knownHostsLine() + jump2.impostorKnownHostsLine()));
            t.acceptNewHostKey = true;
            ScriptedInteraction interaction;
            interaction.decision = HostKeyDecision::AcceptAndSave;
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            const QString &m = r.errorString;
            QVERIFY2(m.contains(QStringLiteral("the host key of jump host %1 (hop 2 of 2) has changed").arg(middle)),
                qPrintable(m));
            QVERIFY2(m.contains(t.knownHostsFile + QStringLiteral(" line 3")), qPrintable(m));
            QVERIFY(interaction.hostKeyQuestions.isEmpty());
            QTRY_COMPARE_WITH_TIMEOUT(transport.state(), SshTransport::State::Failed, 30000);
            QVERIFY(!QFile::exists(marker));
            t.acceptNewHostKey = false;
        }
        {
            // The middle hop unknown: the question says which hop it is; refused, nothing runs.
            t.knownHostsFile = m_server.dir() + QStringLiteral("/chain_unknown_known_hosts");
            QVERIFY(writeFile(t.knownHostsFile, m_server.knownHostsLine() + jump1.knownHostsLine()));
            ScriptedInteraction interaction;
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            QVERIFY2(r.errorString.contains(QStringLiteral("REFUSED: jump host %1 (hop 2 of 2)").arg(middle)),
                qPrintable(r.errorString));
            QCOMPARE(interaction.hostKeyQuestions.size(), 1);
            const HostKeyInfo &info = interaction.hostKeyQuestions.first();
            QVERIFY(info.viaJumpHost);
            QCOMPARE(info.host, middle);
            QCOMPARE(info.jumpHop, 2);
            QCOMPARE(info.jumpHops, 2);
            QVERIFY(!QFile::exists(marker));
        }
        {
            // Accepted once, the chain connects; the unknown target key is asked about after it.
            ScriptedInteraction interaction;
            interaction.decision = HostKeyDecision::AcceptOnce;
            t.knownHostsFile = m_server.dir() + QStringLiteral("/chain_unknown_known_hosts");
            QVERIFY(writeFile(t.knownHostsFile, jump1.knownHostsLine()));
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("echo through-two"));
            QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
            QCOMPARE(r.stdOut, QByteArray("through-two\n"));
            QCOMPARE(interaction.hostKeyQuestions.size(), 2);
            QCOMPARE(interaction.hostKeyQuestions.at(0).jumpHop, 2);
            QVERIFY(!interaction.hostKeyQuestions.at(1).viaJumpHost);
            QCOMPARE(interaction.hostKeyQuestions.at(1).host, QStringLiteral("[127.0.0.1]:%1").arg(m_server.port()));
        }
    }

    void knownHostsHostFieldMatchesAsOpenSsh_data()
    {
        // No server needed: how a known_hosts host field is matched (sshd(8), match_hostname()).
        QTest::addColumn<QByteArray>("field");
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("matches");
        QTest::newRow("exact") << QByteArray("[127.0.0.1]:2222") << QByteArray("[127.0.0.1]:2222") << true;
        QTest::newRow("other port") << QByteArray("[127.0.0.1]:2222") << QByteArray("[127.0.0.1]:2223") << false;
        QTest::newRow("case") << QByteArray("Runner-3.CI") << QByteArray("runner-3.ci") << true;
        QTest::newRow("list") << QByteArray("a,runner-3,b") << QByteArray("runner-3") << true;
        QTest::newRow("star") << QByteArray("*") << QByteArray("[10.0.0.1]:22") << true;
        QTest::newRow("star suffix") << QByteArray("*.ci.example") << QByteArray("r3.ci.example") << true;
        QTest::newRow("star suffix, other") << QByteArray("*.ci.example") << QByteArray("r3.example") << false;
        QTest::newRow("question mark") << QByteArray("runner-?") << QByteArray("runner-3") << true;
        QTest::newRow("question mark, two") << QByteArray("runner-?") << QByteArray("runner-33") << false;
        QTest::newRow("port pattern") << QByteArray("[127.0.0.1]:*") << QByteArray("[127.0.0.1]:40000") << true;
        QTest::newRow("negated first") << QByteArray("!runner-3,*") << QByteArray("runner-3") << false;
        QTest::newRow("negated last") << QByteArray("*,!runner-3") << QByteArray("runner-3") << false;
        QTest::newRow("negated other") << QByteArray("!runner-4,*") << QByteArray("runner-3") << true;
        QTest::newRow("only negated") << QByteArray("!runner-4") << QByteArray("runner-3") << false;
        const QByteArray hashed = hashedHost("[127.0.0.1]:2222");
        QTest::newRow("hashed") << hashed << QByteArray("[127.0.0.1]:2222") << true;
        QTest::newRow("hashed, other") << hashed << QByteArray("[127.0.0.1]:2223") << false;
        QTest::newRow("hashed, broken") << QByteArray("|1|abc") << QByteArray("abc") << false;
    }

    void knownHostsHostFieldMatchesAsOpenSsh()
    {
        QFETCH(QByteArray, field);
        QFETCH(QByteArray, host);
        QFETCH(bool, matches);
        QCOMPARE(detail::KnownHostsMarker::hostFieldMatches(field, host), matches);
    }

    void revokedHostKeyIsRefused_data()
    {
        QTest::addColumn<QByteArray>("hostField");
        QTest::addColumn<bool>("alsoTrusted");
        const QByteArray name = "[127.0.0.1]:" + QByteArray::number(m_server.port());
        QTest::newRow("plain name") << name << false;
        QTest::newRow("hashed name") << hashedHost(name) << false;
        QTest::newRow("wildcard") << QByteArray("*") << false;
        QTest::newRow("pattern list") << QByteArray("nothere,[127.0.0.?]:*") << false;
        // OpenSSH: a revoked key stays revoked even when another line trusts it.
        QTest::newRow("also trusted") << name << true;
    }

    void revokedHostKeyIsRefused()
    {
        QFETCH(QByteArray, hostField);
        QFETCH(bool, alsoTrusted);
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/revoked_known_hosts");
        const QByteArray contents = "# revoked after the key leaked\n"
            + markedLine("@revoked", hostField, m_server.knownHostsLine())
            + (alsoTrusted ? m_server.knownHostsLine() : QByteArray());
        QVERIFY(writeFile(t.knownHostsFile, contents));
        t.acceptNewHostKey = true; // must make no difference
        ScriptedInteraction interaction;
        interaction.decision = HostKeyDecision::AcceptAndSave; // nor must this
        const QString marker = m_server.dir() + QStringLiteral("/revoked-marker");
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        const QString &m = r.errorString;
        QVERIFY2(m.contains(QStringLiteral("REVOKED")), qPrintable(m));
        QVERIFY2(m.contains(QStringLiteral("[127.0.0.1]:%1").arg(m_server.port())), qPrintable(m));
        QVERIFY2(m.contains(t.knownHostsFile + QStringLiteral(" line 2")), qPrintable(m));
        QVERIFY2(m.contains(QStringLiteral("SHA256:")), qPrintable(m));
        QVERIFY(interaction.hostKeyQuestions.isEmpty());
        QTRY_COMPARE(transport.state(), SshTransport::State::Failed);
        QVERIFY(!QFile::exists(marker));
        QCOMPARE(readFile(t.knownHostsFile), contents); // nothing appended
    }

    void revokedJumpHostKeyIsRefused()
    {
        AgentEnvironment noAgent({});
        SshServer jump;
        QVERIFY(startJumpHost(jump, m_server.port()));
        SshTarget t = target();
        t.proxyJump = QStringLiteral("%1@127.0.0.1:%2").arg(m_server.user()).arg(jump.port());
        t.knownHostsFile = m_server.dir() + QStringLiteral("/revoked_jump_known_hosts");
        const QByteArray contents = m_server.knownHostsLine() + markedLine("@revoked", "*", jump.knownHostsLine());
        QVERIFY(writeFile(t.knownHostsFile, contents));
        t.acceptNewHostKey = true;
        ScriptedInteraction interaction;
        interaction.decision = HostKeyDecision::AcceptAndSave;
        const QString marker = m_server.dir() + QStringLiteral("/revoked-jump-marker");
        SshTransport transport(t);
        transport.setInteraction(&interaction);
        const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("REVOKED")), qPrintable(r.errorString));
        QVERIFY2(r.errorString.contains(QStringLiteral("jump host [127.0.0.1]:%1").arg(jump.port())),
            qPrintable(r.errorString));
        QVERIFY(interaction.hostKeyQuestions.isEmpty());
        QVERIFY(!QFile::exists(marker));
        QCOMPARE(readFile(t.knownHostsFile), contents);
    }

    void certAuthorityIsRefusedExplicitly()
    {
        // libssh 0.10 checks no host certificates: a host that known_hosts vouches for only through
        // a CA must not turn into an "unknown key" that --accept-new-host-key or a click trusts.
        AgentEnvironment noAgent({});
        SshTarget t = target();
        t.knownHostsFile = m_server.dir() + QStringLiteral("/ca_known_hosts");
        const QByteArray ca = markedLine("@cert-authority", "[127.0.0.1]:*", m_server.impostorKnownHostsLine());
        QVERIFY(writeFile(t.knownHostsFile, ca));
        t.acceptNewHostKey = true;
        ScriptedInteraction interaction;
        interaction.decision = HostKeyDecision::AcceptAndSave;
        const QString marker = m_server.dir() + QStringLiteral("/ca-marker");
        {
            SshTransport transport(t);
            transport.setInteraction(&interaction);
            const CommandResult r = runOne(transport, QStringLiteral("touch %1").arg(marker));
            QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
            const QString &m = r.errorString;
            QVERIFY2(m.contains(QStringLiteral("@cert-authority")), qPrintable(m));
            QVERIFY2(m.contains(t.knownHostsFile + QStringLiteral(" line 1")), qPrintable(m));
            QVERIFY2(m.contains(QStringLiteral("SHA256:")), qPrintable(m));
            QVERIFY(interaction.hostKeyQuestions.isEmpty());
            QVERIFY(!QFile::exists(marker));
            QCOMPARE(readFile(t.knownHostsFile), ca);
        }
        // The host's own key on record as well: that line decides, as in OpenSSH.
        QVERIFY(writeFile(t.knownHostsFile, ca + m_server.knownHostsLine()));
        SshTransport transport(t);
        const CommandResult r = runOne(transport, QStringLiteral("echo own-key"));
        QVERIFY2(r.outcome == CommandOutcome::Exited, qPrintable(r.errorString));
        QCOMPARE(r.stdOut, QByteArray("own-key\n"));
    }
};

QTEST_GUILESS_MAIN(TestSshTransport)
#include "tst_sshtransport.moc"
