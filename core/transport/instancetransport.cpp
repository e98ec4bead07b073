#include "instancetransport.h"

#include "common/shellquote.h"

#include <QRegularExpression>

namespace nestscope {

namespace {

// Written to stderr inside the instance just before the command; ASCII record separators around it
// keep it from looking like anything a probe prints.
constexpr char kMarker[] = "\x1ens-started\x1e";
constexpr qsizetype kMarkerSize = sizeof(kMarker) - 1;

class InstanceJob final : public CommandJob {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceJob)
public:
    InstanceJob(QObject *parent, const QString &instance)
        : CommandJob(parent)
        , m_instance(instance)
    {
    }

    ~InstanceJob() override
    {
        // Going away before the inner command finished (its transport owner was deleted):
        // stop it, so an `lxc exec` does not run on until its timeout with nobody listening.
        if (m_inner && !m_done) {
            m_inner->disconnect(this);
            m_inner->cancel();
        }
    }

    void attach(CommandJob *inner)
    {
        m_inner = inner;
        connect(inner, &CommandJob::stdOutChunk, this, &CommandJob::stdOutChunk);
        connect(inner, &CommandJob::stdErrChunk, this, &InstanceJob::onStdErr);
        connect(inner, &CommandJob::finished, this, &InstanceJob::onFinished);
    }

    void failNow(const QString &message)
    {
        CommandResult r;
        r.outcome = CommandOutcome::FailedToStart;
        r.errorString = message;
        QMetaObject::invokeMethod(
            this,
            [this, r] {
                Q_EMIT finished(r);
                deleteLater();
            },
            Qt::QueuedConnection);
    }

    void cancel() override
    {
        if (m_inner) {
            m_inner->cancel();
        }
    }

private:
    void onStdErr(const QByteArray &chunk)
    {
        if (m_started) {
            Q_EMIT stdErrChunk(chunk);
            return;
        }
        // Until the marker has been seen, stderr is the client's (lxc/incus) own.
        m_head += chunk;
        const qsizetype at = m_head.indexOf(QByteArray(kMarker, kMarkerSize));
        if (at >= 0) {
            m_started = true;
            const QByteArray rest = m_head.mid(at + kMarkerSize);
            if (!rest.isEmpty()) {
                Q_EMIT stdErrChunk(rest);
            }
        }
    }

    void onFinished(const CommandResult &innerResult)
    {
        m_done = true;
        CommandResult r = innerResult;
        const qsizetype at = r.stdErr.indexOf(QByteArray(kMarker, kMarkerSize));
        if (at >= 0) {
            m_started = true;
            r.stdErr.remove(0, at + kMarkerSize);
        }
        // The client writes its own errors to stderr only: output on stdout means the command ran,
        // even when the client lost the stderr stream (LXD 5.0 can drop it when a command exits
        // right after writing) and the marker with it.
        if (!r.stdOut.isEmpty()) {
            m_started = true;
        }
        if (!m_started && r.outcome == CommandOutcome::Exited && r.exitCode != 0) {
            r.outcome = CommandOutcome::FailedToStart;
            r.errorString = classify(QString::fromUtf8(r.stdErr).trimmed(), r.exitCode);
        }
        Q_EMIT finished(r);
        deleteLater();
    }

    QString classify(const QString &clientError, int exitCode) const
    {
        const QString lower = clientError.toLower();
        if (exitCode == 127) {
            return QStringLiteral("the runner cannot run the LXD/Incus client: %1").arg(clientError);
        }
        if (lower.contains(QLatin1String("agent"))) {
            return QStringLiteral("instance %1: its VM agent is not answering (%2)").arg(m_instance, clientError);
        }
        if (lower.contains(QLatin1String("not running"))) {
            return QStringLiteral("instance %1 is not running (%2)").arg(m_instance, clientError);
        }
        if (lower.contains(QLatin1String("not found"))) {
            return QStringLiteral("instance %1 does not exist (%2)").arg(m_instance, clientError);
        }
        return QStringLiteral("could not run the command in instance %1 (exit code %2): %3")
            .arg(m_instance)
            .arg(exitCode)
            .arg(clientError);
    }

    QPointer<CommandJob> m_inner;
    QString m_instance;
    QByteArray m_head;
    bool m_started = false;
    bool m_done = false; ///< the inner command has finished
};

} // namespace

InstanceTransport::InstanceTransport(Transport *runner, const QString &instance, Client client, QObject *parent)
    : Transport(parent)
    , m_runner(runner)
    , m_instance(instance)
    , m_client(client)
{
}

InstanceTransport::~InstanceTransport() = default;

QString InstanceTransport::description() const
{
    return QStringLiteral("%1 on %2").arg(m_instance, m_runner ? m_runner->description() : QStringLiteral("?"));
}

bool InstanceTransport::isValidInstanceName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"));
    return re.match(name).hasMatch();
}

QString InstanceTransport::wrap(const QString &command) const
{
    const QString inner = QStringLiteral("printf '\\036ns-started\\036' >&2; ") + command;
    QString pick;
    switch (m_client) {
    case Client::Lxc:
        pick = QStringLiteral("c=lxc; ");
        break;
    case Client::Incus:
        pick = QStringLiteral("c=incus; ");
        break;
    case Client::Auto:
        pick = QStringLiteral("if command -v lxc >/dev/null 2>&1; then c=lxc; "
                              "elif command -v incus >/dev/null 2>&1; then c=incus; "
                              "else echo 'neither lxc nor incus is installed on the runner' >&2; exit 127; fi; ");
        break;
    }
    return pick + QStringLiteral("exec \"$c\" exec ") + shellQuote(m_instance) + QStringLiteral(" -- sh -c ")
        + shellQuote(inner);
}

CommandJob *InstanceTransport::start(const CommandRequest &request)
{
    auto *job = new InstanceJob(this, m_instance);
    if (!isValidInstanceName(m_instance)) {
        job->failNow(QStringLiteral("\"%1\" is not a valid instance name").arg(m_instance));
        return job;
    }
    if (!m_runner) {
        job->failNow(QStringLiteral("the runner's transport is gone"));
        return job;
    }
    CommandRequest wrapped = request;
    wrapped.command = wrap(request.command);
    job->attach(m_runner->start(wrapped));
    return job;
}

} // namespace nestscope

#include "instancetransport.moc"
