#include "targetsetup.h"

#include "topology/instances.h"
#include "transport/instancetransport.h"
#include "transport/transport.h"

namespace nestscope {

TargetSetup::TargetSetup(QObject *parent)
    : QObject(parent)
{
}

TargetSetup::~TargetSetup() = default;

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
    CommandJob *job = runner->start(request);
    connect(job, &CommandJob::finished, this, [this](const CommandResult &result) {
        if (result.outcome != CommandOutcome::Exited) {
            // The runner itself did not answer (SSH down, timeout): say that, not an LXD hint.
            Q_EMIT failed(QStringLiteral("cannot list the runner's instances: %1")
                              .arg(result.errorString.isEmpty() ? toText(result.outcome) : result.errorString));
            return;
        }
        const QString err = QString::fromUtf8(result.stdErr).trimmed();
        if (result.exitCode != 0) {
            Q_EMIT failed(QStringLiteral("cannot list the runner's instances (%1); is the LXD/Incus daemon running "
                                         "and is the user in its group?")
                              .arg(err.left(300)));
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
        }
        if (!err.isEmpty()) {
            m_warnings << err;
        }
        resolve(list.value());
    });
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
    if (m_plan.targets.contains(QStringLiteral("all")) && running.isEmpty()) {
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
