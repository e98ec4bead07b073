#pragma once

#include "common/result.h"

#include <QList>
#include <QString>

namespace nestscope {

/// An LXD or Incus instance as `lxc query /1.0/instances?recursion=1` describes it.
struct InstanceInfo {
    QString name;
    QString status; ///< "Running", "Stopped", ...
    QString type; ///< "container" or "virtual-machine"
    bool isRunning() const { return status.compare(QLatin1String("Running"), Qt::CaseInsensitive) == 0; }
};

/// The command that lists instances through whichever client the runner has (lxc, else incus),
/// as JSON from the REST API. With neither it prints `[]` and a note on stderr: no instances.
QString instanceListCommand();

/// Reads the JSON of instanceListCommand(). Garbage gives an error that says what was expected.
Result<QList<InstanceInfo>> parseInstanceList(const QByteArray &json);

} // namespace nestscope
