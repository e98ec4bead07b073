#pragma once

#include "plan.h"
#include "topology/instances.h"
#include "transport/instancetransport.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace nestscope {

class CommandJob;
struct CommandResult;
class Transport;

/// The columns a plan's matrix can show before its targets are resolved: `runner` and the
/// instances it names, not `all` or a glob, which stand for instances only the runner knows.
QStringList knownTargets(const Plan &plan);

/// What a failed `lxc query` / `incus query` means, for a person: "LXD (or Incus) is not
/// reachable", the client's own error line (not its first-start advice), what is likely wrong
/// and what to do.
QString instanceListFailure(const QString &clientStderr);

/// Prepares a plan to run on a runner: lists the runner's instances when the plan names any
/// target besides `runner`, resolves names, globs and `all`, and makes an InstanceTransport for
/// each instance. The GUI and the CLI both go through it (RunSession), so both run the same targets.
///
/// When the runner answers but its LXD/Incus daemon does not (not running, no permission), the
/// instances cannot be known: the plan still runs on the runner, and the instance targets are
/// listed in notRun() with the reason, said once. Only a plan with nothing left to run fails.
class TargetSetup final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TargetSetup)
public:
    explicit TargetSetup(QObject *parent = nullptr);
    ~TargetSetup() override;

    /// Starts; emits ready() or failed() once. `runner` must outlive this object.
    void start(const Plan &plan, Transport *runner);

    /// Long-lived shells per instance (InstanceTransport::setMaxShells); 0 runs an `lxc exec` per
    /// command. Set before start().
    void setInstanceShells(int perInstance) { m_instanceShells = perInstance; }
    /// Which client the instance transports use (`lxc`, `incus`, or whichever the runner has).
    /// Set before start().
    void setClient(InstanceTransport::Client client) { m_client = client; }

    /// After ready(): the plan with concrete targets, and where each runs (owned by this object).
    const Plan &plan() const { return m_plan; }
    QHash<QString, Transport *> transports() const { return m_transports; }
    /// Notes worth showing, e.g. "no instance is running, so `all` adds none", or why the
    /// instance targets do not run; each said once.
    const QStringList &warnings() const { return m_warnings; }
    /// After ready(): the plan's target specs (`all`, globs, names) that do not run because the
    /// runner's instances could not be listed, and why (one reason for all of them).
    const QStringList &notRun() const { return m_notRun; }
    QString notRunReason() const { return m_notRunReason; }

Q_SIGNALS:
    void ready();
    void failed(const QString &message);

private:
    void resolve(const QList<InstanceInfo> &instances);
    void listed(const CommandResult &result);

    QPointer<CommandJob> m_job; ///< listing the instances; cancelled when this object goes
    QStringList m_notRun;
    QString m_notRunReason;
    Plan m_plan;
    QPointer<Transport> m_runner;
    QHash<QString, Transport *> m_transports;
    QStringList m_warnings;
    QString m_noClientReason; ///< set when the runner has neither lxc nor incus
    int m_instanceShells = 3;
    InstanceTransport::Client m_client = InstanceTransport::Client::Auto;
};

} // namespace nestscope
