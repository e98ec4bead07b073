#pragma once

#include "plan.h"
#include "topology/instances.h"
#include "transport/instancetransport.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace nestscope {

class Transport;

/// Prepares a plan to run on a runner: lists the runner's instances when the plan names any
/// target besides `runner`, resolves names, globs and `all`, and makes an InstanceTransport for
/// each instance. The GUI and the CLI both go through it, so both run the same targets.
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
    /// Notes worth showing, e.g. "no instance is running, so `all` adds none".
    const QStringList &warnings() const { return m_warnings; }

Q_SIGNALS:
    void ready();
    void failed(const QString &message);

private:
    void resolve(const QList<InstanceInfo> &instances);

    Plan m_plan;
    QPointer<Transport> m_runner;
    QHash<QString, Transport *> m_transports;
    QStringList m_warnings;
    QString m_noClientReason; ///< set when the runner has neither lxc nor incus
    int m_instanceShells = 3;
    InstanceTransport::Client m_client = InstanceTransport::Client::Auto;
};

} // namespace nestscope
