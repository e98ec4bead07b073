#include "targetsetup.h"

#include "topology/instances.h"
#include "topology/lxderror.h"
#include "transport/instancetransport.h"
#include "transport/transport.h"

#include <algorithm>

namespace nestscope {

TargetSetup::TargetSetup(QObject *parent)
    : QObject(parent)
{
}

namespace {

bool isInstanceSpec(const QString &target)
{
    return target != QLatin1String("runner");
}

bool isPattern(const QString &target)
{
    return target == QLatin1String("all") || target.contains(QLatin1Char('*')) || target.contains(QLatin1Char('?'))
        || target.contains(QLatin1Char('['));
}

} // namespace

QStringList knownTargets(const Plan &plan)
{
    QStringList out;
    for (const QString &t : plan.targets) {
        if (!isPattern(t) && !out.contains(t)) {
            out << t;
        }
    }
    return out;
}

QString instanceListFailure(const QString &clientStderr)
{
    // One reading of the client's words for the run and the Topology page (classifyLxdError); here
    // the error line stays in view, so the advice follows it with what it means in a few words.
    const LxdError e = classifyLxdError(clientStderr);
    QString lead;
    switch (e.kind) {
    case LxdFailure::DaemonNotRunning:
        lead = QStringLiteral("the %1 daemon is not running there — ").arg(e.daemon);
        break;
    case LxdFailure::PermissionDenied:
        lead = QStringLiteral("the user may not use the daemon — ");
        break;
    case LxdFailure::ClientMissing:
    case LxdFailure::OtherClient:
        lead = e.problem + QStringLiteral(" — ");
        break;
    case LxdFailure::Unknown:
        break;
    }
    return QStringLiteral("%1 is not reachable (%2); %3")
        .arg(e.daemon, e.errorLine.isEmpty() ? QStringLiteral("the client failed and said nothing") : e.errorLine,
            lead + e.advice);
}

TargetSetup::~TargetSetup()
{
    // A setup dropped while the instances are listed (a cancelled run) stops the listing too.
    if (m_job) {
        disconnect(m_job, nullptr, this, nullptr);
        m_job->cancel();
    }
}

void TargetSetup::start(const Plan &plan, Transport *runner)
{
    m_plan = plan;
    m_runner = runner;
    const bool onlyRunner = std::all_of(plan.targets.cbegin(), plan.targets.cend(), [](const QString &t) {
        return t == QLatin1String("runner");
    });
    if (onlyRunner) {
        // Nothing to ask the runner: report from the event loop, like the other paths.
        QMetaObject::invokeMethod(
            this,
            [this] {
                resolve({});
            },
            Qt::QueuedConnection);
        return;
    }
    CommandRequest request;
    // The instances are listed by the client that will exec in them, so both see the same daemon.
    switch (m_client) {
    case InstanceTransport::Client::Auto:
        request.command = instanceListCommand();
        break;
    case InstanceTransport::Client::Lxc:
        request.command = QStringLiteral("lxc query '/1.0/instances?recursion=1'");
        break;
    case InstanceTransport::Client::Incus:
        request.command = QStringLiteral("incus query '/1.0/instances?recursion=1'");
        break;
    }
    request.timeout = std::chrono::seconds(30);
    m_job = runner->start(request);
    connect(m_job, &CommandJob::finished, this, &TargetSetup::listed);
}

void TargetSetup::listed(const CommandResult &result)
{
    m_job = nullptr;
    if (result.outcome != CommandOutcome::Exited) {
        // The runner itself did not answer (SSH down, timeout): say that, not an LXD hint.
        Q_EMIT failed(QStringLiteral("cannot list the runner's instances: %1")
                          .arg(result.errorString.isEmpty() ? toText(result.outcome) : result.errorString));
        return;
    }
    const QString err = QString::fromUtf8(result.stdErr).trimmed();
    if (result.exitCode != 0) {
        // The runner answers, its LXD does not: what runs on the runner still runs, and the
        // instance targets are not run, for one reason said once.
        m_notRunReason = instanceListFailure(err);
        for (const QString &t : std::as_const(m_plan.targets)) {
            if (isInstanceSpec(t) && !m_notRun.contains(t)) {
                m_notRun << t;
            }
        }
        if (!m_plan.targets.contains(QStringLiteral("runner"))) {
            Q_EMIT failed(QStringLiteral("cannot list the runner's instances, and the plan runs only on them: %1")
                              .arg(m_notRunReason));
            return;
        }
        m_warnings << QStringLiteral("the instance targets (%1) are not run: %2. The runner's own probes run.")
                          .arg(m_notRun.join(QStringLiteral(", ")), m_notRunReason);
        m_plan.targets.removeIf(isInstanceSpec);
        resolve({});
        return;
    }
    const auto list = parseInstanceList(result.stdOut);
    if (!list) {
        Q_EMIT failed(list.error().message);
        return;
    }
    // Without lxc or incus there are no instances; if the plan names one, that is the reason.
    if (err.startsWith(QLatin1String("nestscope: "))) {
        m_noClientReason = err.mid(int(qstrlen("nestscope: ")));
    } else if (!err.isEmpty()) {
        m_warnings << err;
    }
    resolve(list.value());
}

void TargetSetup::resolve(const QList<InstanceInfo> &instances)
{
    QStringList names;
    QStringList running;
    for (const InstanceInfo &i : instances) {
        names << i.name;
        if (i.isRunning()) {
            running << i.name;
        }
    }
    const auto targets = resolveTargets(m_plan.targets, names, running);
    if (!targets) {
        Q_EMIT failed(m_noClientReason.isEmpty()
                ? targets.error().message
                : QStringLiteral("%1 (%2)").arg(targets.error().message, m_noClientReason));
        return;
    }
    if (!m_runner) {
        Q_EMIT failed(QStringLiteral("the runner's connection went away while its instances were looked up"));
        return;
    }
    QStringList patterns;
    for (const QString &t : std::as_const(m_plan.targets)) {
        if (isPattern(t)) {
            patterns << QLatin1Char('"') + t + QLatin1Char('"');
        }
    }
    if (!m_noClientReason.isEmpty() && !patterns.isEmpty()) {
        m_warnings << QStringLiteral("%1 %2 no target: %3")
                          .arg(patterns.join(QStringLiteral(", ")),
                              patterns.size() == 1 ? QStringLiteral("adds") : QStringLiteral("add"), m_noClientReason);
    } else if (m_plan.targets.contains(QStringLiteral("all")) && running.isEmpty()) {
        m_warnings << QStringLiteral("no instance is running on the runner, so \"all\" adds no target");
    }
    m_plan.targets = targets.value();
    for (const QString &t : std::as_const(m_plan.targets)) {
        if (t == QLatin1String("runner")) {
            m_transports.insert(t, m_runner);
        } else {
            auto *instance = new InstanceTransport(m_runner, t, m_client, this);
            instance->setMaxShells(m_instanceShells);
            m_transports.insert(t, instance);
        }
    }
    Q_EMIT ready();
}

} // namespace nestscope
