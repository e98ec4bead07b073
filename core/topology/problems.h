#pragma once

#include "topology/topology.h"

#include <QList>
#include <QString>

namespace nestscope {

/// A problem visible in the topology itself (before any probe runs), e.g. FORWARD policy DROP.
struct TopoProblem {
    enum class Severity { Warning, Error };
    QString id; ///< stable rule id, e.g. "forward-drop", "no-ipv4", "nat-off", "ip-forward-off", "mtu-mismatch"
    Severity severity = Severity::Error;
    /// The graph node it is drawn on (see TopologyGraph's node ids: "runner", "net:lxdbr0",
    /// "inst:vm1", "if:eth0", ...).
    QString nodeId;
    QString title; ///< one line, e.g. "FORWARD policy is DROP (IPv4)"
    QString why; ///< the tooltip: which fact shows it, what it breaks, what to do
};

/// Rules over facts; deterministic order (by node, then id).
QList<TopoProblem> findProblems(const Topology &topology);

} // namespace nestscope
